"""setTownTargets (the county for its towns) and setCountyTargets (the province for its counties)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.reporting.inputs import TargetsInput
from mutualaid.graphql.reporting.mutations.base import ReportingError, bp, county_for, town_for
from mutualaid.platform.accounts.permissions import Target
from mutualaid.reporting import actions
from mutualaid.reporting import permissions as perms

RENAMES = {
    "village_share": "targets.villageSharePercent",
    "household_share": "targets.householdSharePercent",
    "person_share": "targets.personSharePercent",
}


def _shares(targets) -> dict:
    return {
        "village_bp": bp(targets.get("village_share_percent"), "village_share"),
        "household_bp": bp(targets.get("household_share_percent"), "household_share"),
        "person_bp": bp(targets.get("person_share_percent"), "person_share"),
    }


class SetTownTargets(BaseMutation):
    """县级为本县乡镇设定某互助年度的参与率目标（默认取政策目标）。"""

    ok = graphene.Boolean()

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        targets = TargetsInput(required=True)

    class Meta:
        permission = perms.SET_TOWN_TARGETS
        error_type = ReportingError
        error_renames = RENAMES

    @classmethod
    def get_target(cls, info, town_code, **data):
        return Target.town(town_for(info, town_code, perms.SET_TOWN_TARGETS).code)

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year, targets):
        town = town_for(info, town_code, perms.SET_TOWN_TARGETS)
        actions.set_town_target(town, scheme_year, **_shares(targets), actor=info.context.user)
        return cls(ok=True)


class SetCountyTargets(BaseMutation):
    """省级为本省各县设定某互助年度的参与率目标（县未单独设定的乡镇适用）。"""

    ok = graphene.Boolean()

    class Arguments:
        county_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        targets = TargetsInput(required=True)

    class Meta:
        permission = perms.SET_COUNTY_TARGETS
        error_type = ReportingError
        error_renames = RENAMES

    @classmethod
    def get_target(cls, info, county_code, **data):
        return Target.county(county_for(info, county_code, perms.SET_COUNTY_TARGETS).code)

    @classmethod
    def perform_mutation(cls, info, county_code, scheme_year, targets):
        county = county_for(info, county_code, perms.SET_COUNTY_TARGETS)
        actions.set_county_target(county, scheme_year, **_shares(targets), actor=info.context.user)
        return cls(ok=True)
