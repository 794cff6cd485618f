"""Disclosure: monthly public disclosures (public reads without login), publishing and revisions, objections and
their handling, the audit log search for auditors (town schema). Composes the domain's parts only."""

from __future__ import annotations

import graphene

from mutualaid.graphql.disclosure.audit import AuditLogQueries
from mutualaid.graphql.disclosure.mutations import DisclosureMutations
from mutualaid.graphql.disclosure.queries import DisclosureQueries as _DisclosureQueries


class DisclosureQueries(_DisclosureQueries, AuditLogQueries, graphene.ObjectType):
    pass


__all__ = ["DisclosureMutations", "DisclosureQueries"]
