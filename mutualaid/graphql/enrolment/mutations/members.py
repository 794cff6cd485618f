"""createHousehold, addMember, updateMember."""

from __future__ import annotations

import graphene

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import Household, Member
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.core.values import enum_value, parse_date
from mutualaid.graphql.enrolment.context import current_user, object_or_404, town_code, village_or_404
from mutualaid.graphql.enrolment.mutations.base import EnrolmentError
from mutualaid.graphql.enrolment.types import (
    HardshipEnum,
    HouseholdType,
    InsuranceTypeEnum,
    MemberStatusEnum,
    MemberType,
    RelationEnum,
)


class CreateHousehold(BaseMutation):
    household = graphene.Field(HouseholdType)

    class Arguments:
        village_code = graphene.String(required=True)
        number = graphene.String(required=True, description="户号")
        address = graphene.String()

    class Meta:
        permission = perms.MANAGE_ROSTER
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, village_code, **data):
        return perms.village(town_code(info), village_or_404(village_code).code)

    @classmethod
    def perform_mutation(cls, info, village_code, number, address=""):
        household = actions.create_household(
            village_or_404(village_code), number, address=address or "", actor=current_user(info)
        )
        return cls(household=household)


class AddMember(BaseMutation):
    member = graphene.Field(MemberType)

    class Arguments:
        household_id = graphene.ID(required=True)
        name = graphene.String(required=True)
        id_number = graphene.String(required=True)
        relation = graphene.Argument(RelationEnum, required=True)
        insurance_type = graphene.Argument(InsuranceTypeEnum, required=True)
        registered_on = graphene.String(required=True, description="户籍登记日期 YYYY-MM-DD")
        phone = graphene.String()
        hardship_categories = graphene.List(graphene.NonNull(HardshipEnum))

    class Meta:
        permission = perms.MANAGE_ROSTER
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, household_id, **data):
        household = object_or_404(Household, household_id, "Household", "householdId", "village")
        return perms.village(town_code(info), household.village.code)

    @classmethod
    def perform_mutation(cls, info, household_id, hardship_categories=None, **data):
        household = object_or_404(Household, household_id, "Household", "householdId", "village")
        member = actions.add_member(
            household,
            name=data["name"],
            id_number=data["id_number"],
            relation=enum_value(data["relation"]),
            insurance_type=enum_value(data["insurance_type"]),
            registered_on=parse_date(data["registered_on"], "registered_on", required=False),
            phone=data.get("phone") or "",
            hardship_categories=[enum_value(c) for c in hardship_categories or []],
            actor=current_user(info),
        )
        member.household = household
        return cls(member=member)


class UpdateMember(BaseMutation):
    """修改成员信息或户籍状态（迁出、死亡）。"""

    member = graphene.Field(MemberType)

    class Arguments:
        member_id = graphene.ID(required=True)
        name = graphene.String()
        relation = graphene.Argument(RelationEnum)
        phone = graphene.String(description="空字符串表示删除")
        insurance_type = graphene.Argument(InsuranceTypeEnum)
        hardship_categories = graphene.List(graphene.NonNull(HardshipEnum))
        status = graphene.Argument(MemberStatusEnum)

    class Meta:
        permission = perms.MANAGE_ROSTER
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, member_id, **data):
        member = object_or_404(Member, member_id, "Member", "memberId", "household__village")
        return perms.village(town_code(info), member.household.village.code)

    @classmethod
    def perform_mutation(cls, info, member_id, **data):
        member = object_or_404(Member, member_id, "Member", "memberId", "household__village")
        if data.get("hardship_categories") is not None:
            data["hardship_categories"] = [enum_value(c) for c in data["hardship_categories"]]
        for key in ("relation", "insurance_type", "status"):
            if data.get(key) is not None:
                data[key] = enum_value(data[key])
        return cls(member=actions.update_member(member, actor=current_user(info), **data))
