"""enrolHouseholds: household enrolment for a scheme year."""

from __future__ import annotations

import graphene
from django.utils import timezone

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import Household
from mutualaid.graphql.core.mutations import BaseMutation, NotFound, pk_from_global_id
from mutualaid.graphql.enrolment.context import current_user, terms_for, town_code
from mutualaid.graphql.enrolment.mutations.base import EnrolmentError
from mutualaid.graphql.enrolment.types import EnrolmentType


class EnrolHouseholds(BaseMutation):
    """按户登记参加互助年度（可一次多户）：户籍在册成员全部参加；政策排除的困难群体不参加；全部成功或全部不写入。"""

    enrolments = graphene.List(graphene.NonNull(EnrolmentType))

    class Arguments:
        scheme_year = graphene.Int(required=True)
        household_ids = graphene.List(graphene.NonNull(graphene.ID), required=True)

    class Meta:
        permission = perms.ENROL_HOUSEHOLDS
        error_type = EnrolmentError

    @classmethod
    def _households(cls, household_ids) -> list[Household]:
        pks = [pk_from_global_id(g, "Household", "householdIds") for g in household_ids]
        found = Household.objects.select_related("village").in_bulk(pks)
        if len(found) != len(set(pks)):
            raise NotFound("householdIds")
        return [found[pk] for pk in pks]

    @classmethod
    def get_target(cls, info, household_ids, **data):
        villages = {h.village.code for h in cls._households(household_ids)}
        if len(villages) == 1:
            return perms.village(town_code(info), villages.pop())
        return perms.whole_town(town_code(info))

    @classmethod
    def perform_mutation(cls, info, scheme_year, household_ids):
        terms = terms_for(scheme_year)
        enrolments = actions.enrol_households(
            cls._households(household_ids), terms, now=timezone.now(), actor=current_user(info)
        )
        return cls(enrolments=enrolments)
