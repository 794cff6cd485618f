"""Queries of villages, households, members, enrolments, contributions, roster imports and participation;
coordinators see their own villages only."""

from __future__ import annotations

import graphene
from django.core.exceptions import ValidationError
from django.db.models import F, Subquery
from graphene_django import DjangoConnectionField
from graphql import GraphQLError

from mutualaid.enrolment import participation, roster
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import Contribution, Enrolment, Household, ImportJob, Member, Village
from mutualaid.graphql.core.mutations import NotFound, pk_from_global_id
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.graphql.core.values import enum_value
from mutualaid.graphql.enrolment.context import current_user, terms_for, town_code, villages_filter
from mutualaid.graphql.enrolment.types import (
    ContributionType,
    DownloadFile,
    EnrolmentType,
    HouseholdType,
    MemberStatusEnum,
    MemberType,
    ParticipationType,
    RosterFormatEnum,
    RosterImportJobType,
    VillageParticipationType,
    VillageType,
    download,
    measure,
)
from mutualaid.platform import crypto


class EnrolmentQueries(graphene.ObjectType):
    villages = DjangoConnectionField(VillageType, description="本镇行政村")
    households = DjangoConnectionField(
        HouseholdType,
        village_code=graphene.String(),
        number=graphene.String(),
        description="户（协管员只见本村）",
    )
    members = DjangoConnectionField(
        MemberType,
        village_code=graphene.String(),
        household_number=graphene.String(),
        id_number=graphene.String(description="按身份证号精确查找（密钥哈希）"),
        status=graphene.Argument(MemberStatusEnum),
        description="家庭成员（协管员只见本村；服务机构只见理赔所需字段）",
    )
    enrolments = DjangoConnectionField(
        EnrolmentType, scheme_year=graphene.Int(required=True), village_code=graphene.String()
    )
    contributions = DjangoConnectionField(
        ContributionType, scheme_year=graphene.Int(required=True), village_code=graphene.String()
    )
    roster_import_jobs = DjangoConnectionField(RosterImportJobType, description="花名册导入任务")
    roster_import_job = graphene.Field(RosterImportJobType, id=graphene.ID(required=True))
    roster_template = graphene.Field(
        DownloadFile, required=True, format=graphene.Argument(RosterFormatEnum, required=True)
    )
    participation = graphene.Field(
        ParticipationType,
        required=True,
        scheme_year=graphene.Int(required=True),
        description="参与率：应参加/已参加的人与户、参与的村、参与村农户参与率、群众参与率，对照政策目标",
    )

    @permission_required(perms.READ_VILLAGES)
    def resolve_villages(root, info, **kwargs):
        return Village.objects.all()

    @permission_required(perms.READ_HOUSEHOLDS)
    def resolve_households(root, info, village_code=None, number=None, **kwargs):
        queryset = Household.objects.filter(
            villages_filter(info, perms.READ_HOUSEHOLDS, "village__code")
        ).select_related("village")  # the members' masking reads their village
        if village_code:  # by the village's id: the page is then read in (village, number) index order
            village_id = Village.objects.filter(code=village_code).values("pk")[:1]
            queryset = queryset.filter(village_id=Subquery(village_id))
        if number:
            queryset = queryset.filter(number=number)
        return queryset.order_by("number")

    @permission_required(perms.READ_ROSTER)
    def resolve_members(
        root, info, village_code=None, household_number=None, id_number=None, status=None, **kw
    ):
        queryset = Member.objects.filter(
            villages_filter(info, perms.READ_ROSTER, "household__village__code")
        ).select_related("household__village")
        if village_code:
            queryset = queryset.filter(household__village__code=village_code)
        if household_number:
            queryset = queryset.filter(household__number=household_number)
        if id_number:
            queryset = queryset.filter(id_hash=crypto.lookup_hash(id_number))
        if status:
            queryset = queryset.filter(status=enum_value(status))
        return queryset.order_by("household__number", "id")

    @permission_required(perms.READ_ENROLMENT)
    def resolve_enrolments(root, info, scheme_year, village_code=None, **kwargs):
        queryset = Enrolment.objects.filter(scheme_year=scheme_year).filter(
            villages_filter(info, perms.READ_ENROLMENT, "household__village__code")
        )
        if village_code:
            queryset = queryset.filter(household__village__code=village_code)
        return queryset.order_by("household__number")

    @permission_required(perms.READ_CONTRIBUTIONS)
    def resolve_contributions(root, info, scheme_year, village_code=None, **kwargs):
        queryset = (
            Contribution.objects.filter(scheme_year=scheme_year)
            .filter(villages_filter(info, perms.READ_CONTRIBUTIONS, "enrolment__household__village__code"))
            .annotate(reversal_reason=F("reversal__reason"))
        )
        if village_code:
            queryset = queryset.filter(enrolment__household__village__code=village_code)
        return queryset.order_by("-recorded_at", "-id")

    @permission_required(perms.IMPORT_ROSTER)
    def resolve_roster_import_jobs(root, info, **kwargs):
        codes = perms.visible_villages(current_user(info), perms.IMPORT_ROSTER, town_code(info))
        queryset = ImportJob.objects.all()
        return queryset if codes is None else queryset.filter(village_code__in=codes)

    @permission_required(perms.IMPORT_ROSTER)
    def resolve_roster_import_job(root, info, id):
        try:
            pk = pk_from_global_id(id, "RosterImportJob", "id")
        except NotFound:
            return None
        codes = perms.visible_villages(current_user(info), perms.IMPORT_ROSTER, town_code(info))
        queryset = ImportJob.objects.filter(pk=pk)
        return (queryset if codes is None else queryset.filter(village_code__in=codes)).first()

    @permission_required(perms.IMPORT_ROSTER)
    def resolve_roster_template(root, info, format):
        file_format = enum_value(format)
        town = info.context.tenant
        village = Village.objects.order_by("code").first()
        content = roster.template(
            file_format,
            town_code=town.code,
            town_name=town.name,
            village_code=village.code if village else "",
            village_name=village.name if village else "",
        )
        return download(f"花名册导入模板.{file_format}", content)

    @permission_required(perms.READ_PARTICIPATION)
    def resolve_participation(root, info, scheme_year):
        try:
            terms = terms_for(scheme_year)
        except ValidationError as exc:
            raise GraphQLError("；".join(exc.messages), extensions={"code": "NO_PUBLISHED_POLICY"}) from exc
        found = participation.participation(terms, by_village=True)
        return ParticipationType(
            scheme_year=found.scheme_year,
            villages=found.villages,
            villages_joined=found.villages_joined,
            eligible_people=found.eligible_people,
            eligible_households=found.eligible_households,
            enrolled_people=found.enrolled_people,
            enrolled_households=found.enrolled_households,
            eligible_households_in_joined=found.eligible_households_in_joined,
            enrolled_households_in_joined=found.enrolled_households_in_joined,
            village_share=measure(found.village_share),
            household_share_in_joined=measure(found.household_share_in_joined),
            person_share=measure(found.person_share),
            by_village=[VillageParticipationType(**{k: getattr(v, k) for k in (
                "code", "name", "joined", "eligible_people", "eligible_households", "enrolled_people",
                "enrolled_households")}) for v in found.by_village],
        )  # fmt: skip
