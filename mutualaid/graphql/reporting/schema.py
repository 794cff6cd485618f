"""Supervision across towns (platform schema): dashboards from rollups, targets, quarterly reports, the November
evaluation and the satisfaction survey. Composes the domain's parts only."""

from __future__ import annotations

from mutualaid.graphql.reporting.mutations import ReportingMutations
from mutualaid.graphql.reporting.queries import ReportingQueries

__all__ = ["ReportingMutations", "ReportingQueries"]
