"""createVillage, recordVillageDecision."""

from __future__ import annotations

import graphene

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.core.values import parse_date
from mutualaid.graphql.enrolment.context import current_user, town_code, village_or_404
from mutualaid.graphql.enrolment.mutations.base import EnrolmentError
from mutualaid.graphql.enrolment.types import VillageType


class CreateVillage(BaseMutation):
    """新增行政村（镇管理员）。"""

    village = graphene.Field(VillageType)

    class Arguments:
        code = graphene.String(required=True, description="12 位村级区划代码")
        name = graphene.String(required=True)

    class Meta:
        permission = perms.MANAGE_VILLAGES
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, **data):
        return perms.whole_town(town_code(info))

    @classmethod
    def perform_mutation(cls, info, code, name):
        return cls(village=actions.create_village(code, name, actor=current_user(info)))


class RecordVillageDecision(BaseMutation):
    """记录村民代表会议决议：是否参加、决议日期。"""

    village = graphene.Field(VillageType)

    class Arguments:
        village_code = graphene.String(required=True)
        joined = graphene.Boolean(required=True)
        resolution_date = graphene.String(description="YYYY-MM-DD")

    class Meta:
        permission = perms.RECORD_VILLAGE_DECISION
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, village_code, **data):
        return perms.village(town_code(info), village_or_404(village_code).code)

    @classmethod
    def perform_mutation(cls, info, village_code, joined, resolution_date=None):
        village = village_or_404(village_code)
        decided = parse_date(resolution_date, "resolution_date", required=False)
        return cls(
            village=actions.record_village_decision(
                village, joined=joined, resolution_date=decided, actor=current_user(info)
            )
        )
