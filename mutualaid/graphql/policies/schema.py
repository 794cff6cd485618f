"""The scheme-year policy in the town schema: the Query and Mutation mixins, composed from their modules.

Types in ``types.py``, inputs in ``inputs.py``, queries in ``queries.py``, mutations in ``mutations/``; the
parameters' API shape comes from the registry (``parameters.py``).
"""

from __future__ import annotations

from mutualaid.graphql.policies.design import SchemeDesignQueries
from mutualaid.graphql.policies.mutations import PolicyMutations as PolicyTableMutations
from mutualaid.graphql.policies.mutations.design import SchemeDesignMutations
from mutualaid.graphql.policies.queries import PolicyQueries as PolicyTableQueries
from mutualaid.graphql.policies.types import PolicyVersionType, SchemeYearType, SubsidyEntryType


class PolicyQueries(PolicyTableQueries, SchemeDesignQueries):
    """The policy queries and the scheme design (一键设计, solvency simulation)."""


class PolicyMutations(PolicyTableMutations, SchemeDesignMutations):
    """The policy mutations and saving a scheme design as a draft."""


__all__ = ["PolicyMutations", "PolicyQueries", "PolicyVersionType", "SchemeYearType", "SubsidyEntryType"]
