"""The scheme-year policy in the town schema: the Query and Mutation mixins, composed from their modules.

Types in ``types.py``, inputs in ``inputs.py``, queries in ``queries.py``, mutations in ``mutations/``; the
parameters' API shape comes from the registry (``parameters.py``).
"""

from __future__ import annotations

from mutualaid.graphql.policies.mutations import PolicyMutations
from mutualaid.graphql.policies.queries import PolicyQueries
from mutualaid.graphql.policies.types import PolicyVersionType, SchemeYearType, SubsidyEntryType

__all__ = ["PolicyMutations", "PolicyQueries", "PolicyVersionType", "SchemeYearType", "SubsidyEntryType"]
