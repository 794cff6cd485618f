"""The town schema's own root fields: the current town and the viewer's roles in it."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.permissions import permission_required
from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role

READ_TOWN = Rule("read_town", *Role.values)


class CurrentTown(graphene.ObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True)
    county_name = graphene.String(required=True)
    status = graphene.String(required=True)


class TownRootQueries(graphene.ObjectType):
    current_town = graphene.Field(CurrentTown, required=True, description="当前乡镇")

    @permission_required(READ_TOWN)
    def resolve_current_town(root, info):
        town = info.context.tenant
        return CurrentTown(code=town.code, name=town.name, county_name=town.county.name, status=town.status)
