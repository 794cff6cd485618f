"""Disclosure: monthly public disclosures (public reads without login), publishing and revisions, objections and
their handling (town schema). Composes the domain's parts only."""

from __future__ import annotations

from mutualaid.graphql.disclosure.mutations import DisclosureMutations
from mutualaid.graphql.disclosure.queries import DisclosureQueries

__all__ = ["DisclosureMutations", "DisclosureQueries"]
