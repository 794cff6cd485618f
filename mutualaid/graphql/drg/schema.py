"""The DRG part of the platform schema: catalogue browsing and search, and grouping a stay (signed-in users)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.drg.queries import DrgCatalogueQueries, DrgGroupQueries


class DrgQueries(DrgCatalogueQueries, DrgGroupQueries, graphene.ObjectType):
    pass
