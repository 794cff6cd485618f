"""Claims: applications with documents, explainable adjudication, review by service firms (town schema), and the
firms' cross-town review queue (platform schema). Composes the domain's parts only."""

from __future__ import annotations

from mutualaid.graphql.claims.mutations import ClaimMutations
from mutualaid.graphql.claims.queries import ClaimQueries, ReviewQueueQueries

__all__ = ["ClaimMutations", "ClaimQueries", "ReviewQueueQueries"]
