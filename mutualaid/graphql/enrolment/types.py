"""Output types of villages, households, members, enrolments, contributions, roster imports and participation.

ID and phone numbers come masked unless the caller may read them (the town admin; the coordinator of the member's
village), and every unmasked read writes one audit event per request (through a loader). Service-firm reviewers
see what claims need: the name masked, insurance type, register status and enrolment; never ID or phone numbers.
"""

from __future__ import annotations

import base64

import graphene
from graphene_django import DjangoObjectType

from mutualaid.enrolment import participation
from mutualaid.enrolment.models import (
    Contribution,
    Enrolment,
    Household,
    ImportJob,
    ImportStatus,
    InsuranceType,
    Member,
    MemberStatus,
    PaymentMethod,
    Relation,
    Sex,
    Village,
)
from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.values import yuan
from mutualaid.graphql.enrolment.loaders import (
    enrolled_loader,
    head_names,
    is_reviewer_view,
    may_read_personal_data,
    members_by_household_loader,
    personal_data_loader,
)
from mutualaid.platform import crypto
from mutualaid.policies.terms import FundingSource, HardshipCategory

InsuranceTypeEnum = graphene.Enum.from_enum(InsuranceType, name="MemberInsuranceType", description="基本医保")
RelationEnum = graphene.Enum.from_enum(Relation, name="MemberRelation", description="与户主关系")
MemberStatusEnum = graphene.Enum.from_enum(MemberStatus, name="MemberStatus", description="户籍状态")
SexEnum = graphene.Enum.from_enum(Sex, name="MemberSex")
HardshipEnum = graphene.Enum.from_enum(
    HardshipCategory, name="MemberHardshipCategory", description="困难类别"
)
MethodEnum = graphene.Enum.from_enum(PaymentMethod, name="ContributionMethod", description="收款方式")
SourceEnum = graphene.Enum.from_enum(FundingSource, name="ContributionSource", description="资金来源")
ImportStatusEnum = graphene.Enum.from_enum(ImportStatus, name="RosterImportStatus")
RosterFormatEnum = graphene.Enum("RosterFileFormat", [("CSV", "csv"), ("XLSX", "xlsx")])


class AmountBySource(graphene.ObjectType):
    class Meta:
        name = "AmountBySource"

    source = graphene.Field(SourceEnum, required=True)
    amount = graphene.String(required=True, description="元")


def amounts_by_source(amounts: dict) -> list[AmountBySource]:
    order = {s: i for i, s in enumerate(FundingSource.values)}
    return [
        AmountBySource(source=s, amount=yuan(fen))
        for s, fen in sorted(amounts.items(), key=lambda kv: order.get(kv[0], 99))
    ]


class DownloadFile(graphene.ObjectType):
    class Meta:
        name = "DownloadFile"

    file_name = graphene.String(required=True)
    content_type = graphene.String(required=True)
    content_base64 = graphene.String(required=True)


def download(name: str, data: bytes) -> DownloadFile:
    kind = (
        "text/csv"
        if name.endswith(".csv")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return DownloadFile(file_name=name, content_type=kind, content_base64=base64.b64encode(data).decode())


class VillageType(DjangoObjectType):
    class Meta:
        model = Village
        name = "Village"
        fields = ("code", "name", "joined", "resolution_date")
        interfaces = (Node,)
        connection_class = CountableConnection


class MemberType(DjangoObjectType):
    name = graphene.String(required=True, description="姓名（第三方服务机构看到脱敏姓名）")
    id_number = graphene.String(
        description="身份证号：有权限的角色看到完整号码（留痕），其他角色看到脱敏号码，服务机构为空"
    )
    phone = graphene.String(description="手机号：同上")
    sex = graphene.Field(SexEnum)
    birth_date = graphene.Date()
    relation = graphene.Field(RelationEnum)
    insurance_type = graphene.Field(InsuranceTypeEnum, required=True)
    hardship_categories = graphene.List(graphene.NonNull(HardshipEnum))
    status = graphene.Field(MemberStatusEnum, required=True)
    registered_on = graphene.Date()
    household_number = graphene.String()
    village_code = graphene.String(required=True)
    enrolled = graphene.Boolean(
        required=True, scheme_year=graphene.Int(required=True), description="是否已参加该互助年度"
    )

    class Meta:
        model = Member
        name = "Member"
        fields = ("id",)
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_name(member, info):
        return crypto.mask_name(member.name) if is_reviewer_view(info, member) else member.name

    def resolve_id_number(member, info):
        if is_reviewer_view(info, member):
            return None
        if may_read_personal_data(info, member):
            return personal_data_loader(info).load((member, "id_number"))
        return member.id_masked

    def resolve_phone(member, info):
        if is_reviewer_view(info, member):
            return None
        if may_read_personal_data(info, member):
            return personal_data_loader(info).load((member, "phone"))
        return member.phone_masked or None

    def resolve_sex(member, info):
        return None if is_reviewer_view(info, member) else member.sex

    def resolve_birth_date(member, info):
        return None if is_reviewer_view(info, member) else member.birth_date

    def resolve_relation(member, info):
        return None if is_reviewer_view(info, member) else member.relation

    def resolve_hardship_categories(member, info):
        return None if is_reviewer_view(info, member) else member.hardship_categories

    def resolve_registered_on(member, info):
        return None if is_reviewer_view(info, member) else member.registered_on

    def resolve_household_number(member, info):
        return None if is_reviewer_view(info, member) else member.household.number

    def resolve_village_code(member, info):
        return member.household.village.code

    def resolve_enrolled(member, info, scheme_year):
        return enrolled_loader(info, scheme_year).load(member.pk)


class HouseholdType(DjangoObjectType):
    village = graphene.Field(VillageType, required=True)
    head_name = graphene.String()
    address = graphene.String()
    members = graphene.List(graphene.NonNull(MemberType), required=True)

    class Meta:
        model = Household
        name = "Household"
        fields = ("id", "number")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_village(household, info):
        return by_pk_loader(info, Village).load(household.village_id)

    def resolve_head_name(household, info):
        if household.head_id is None:
            return None
        return get_loader(info, "enrolment:head_name", head_names).load(household.head_id)

    def resolve_address(household, info):
        return household.address or None

    def resolve_members(household, info):
        return members_by_household_loader(info).load(household)


def received_loader(info):
    """What was received for enrolments, keyed by (enrolment, view): view "total", "by_source" or "paid_in_full"."""

    def load(keys: list[tuple[Enrolment, str]]) -> list:
        ids = list({enrolment.pk for enrolment, _ in keys})
        totals: dict[int, dict[str, int]] = {pk: {} for pk in ids}
        rows = Contribution.objects.filter(enrolment_id__in=ids, reversal__isnull=True).values_list(
            "enrolment_id", "amounts_by_source"
        )
        for enrolment_id, amounts in rows:
            for source, fen in amounts.items():
                totals[enrolment_id][source] = totals[enrolment_id].get(source, 0) + fen
        result: list[object] = []
        for enrolment, view in keys:
            received = totals[enrolment.pk]
            if view == "total":
                result.append(yuan(sum(received.values())))
            elif view == "by_source":
                result.append(amounts_by_source(received))
            else:
                result.append(sum(received.values()) >= enrolment.due_fen)
        return result

    return get_loader(info, "enrolment:received", load)


class EnrolmentType(DjangoObjectType):
    household = graphene.Field(HouseholdType, required=True)
    due = graphene.String(required=True, description="应筹合计（元）")
    due_by_source = graphene.List(graphene.NonNull(AmountBySource), required=True)
    received = graphene.String(required=True, description="已收（元，不含已冲销）")
    received_by_source = graphene.List(graphene.NonNull(AmountBySource), required=True)
    paid_in_full = graphene.Boolean(required=True)

    class Meta:
        model = Enrolment
        name = "Enrolment"
        fields = ("id", "scheme_year", "member_count", "enrolled_at", "policy_version")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_household(enrolment, info):
        return by_pk_loader(info, Household).load(enrolment.household_id)

    def resolve_due(enrolment, info):
        return yuan(enrolment.due_fen)

    def resolve_due_by_source(enrolment, info):
        return amounts_by_source(enrolment.due_by_source)

    def resolve_received(enrolment, info):
        return received_loader(info).load((enrolment, "total"))

    def resolve_received_by_source(enrolment, info):
        return received_loader(info).load((enrolment, "by_source"))

    def resolve_paid_in_full(enrolment, info):
        return received_loader(info).load((enrolment, "paid_in_full"))


class ContributionType(DjangoObjectType):
    enrolment = graphene.Field(EnrolmentType, required=True)
    method = graphene.Field(MethodEnum, required=True)
    amount = graphene.String(required=True)
    amounts_by_source = graphene.List(graphene.NonNull(AmountBySource), required=True)
    reversed = graphene.Boolean(required=True)
    reversal_reason = graphene.String()
    journal_entry_id = graphene.Int()

    class Meta:
        model = Contribution
        name = "Contribution"
        fields = ("id", "scheme_year", "receipt_number", "reference", "received_on", "recorded_at")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_enrolment(contribution, info):
        return by_pk_loader(info, Enrolment).load(contribution.enrolment_id)

    def resolve_amount(contribution, info):
        return yuan(contribution.amount_fen)

    def resolve_amounts_by_source(contribution, info):
        return amounts_by_source(contribution.amounts_by_source)

    def resolve_reversed(contribution, info):
        return getattr(contribution, "reversal_reason", None) is not None

    def resolve_reversal_reason(contribution, info):
        return getattr(contribution, "reversal_reason", None)


class RosterImportJobType(DjangoObjectType):
    status = graphene.Field(ImportStatusEnum, required=True)
    progress_percent = graphene.Int(required=True, description="进度（0–100）")
    error_report = graphene.Field(DownloadFile, description="错误报告（原表加“错误说明”列，仅错误行）")

    class Meta:
        model = ImportJob
        name = "RosterImportJob"
        fields = (
            "id", "file_name", "file_format", "village_code", "rows_total", "rows_done", "created_count",
            "updated_count", "unchanged_count", "error_count", "households_created", "error", "created_at",
            "started_at", "finished_at",
        )  # fmt: skip
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_progress_percent(job, info):
        if job.status == ImportStatus.DONE:
            return 100
        return min(99, job.rows_done * 100 // job.rows_total) if job.rows_total else 0

    def resolve_error_report(job, info):
        if not job.error_report:
            return None
        with job.error_report.open("rb") as handle:
            return download(job.error_report.name.rsplit("/", 1)[-1], handle.read())


class MeasureType(graphene.ObjectType):
    class Meta:
        name = "ParticipationMeasure"

    numerator = graphene.Int(required=True)
    denominator = graphene.Int(required=True)
    share_bp = graphene.Int(description="实际比例（基点，5000 = 50%）")
    target_bp = graphene.Int(description="政策目标（基点）")
    met = graphene.Boolean(description="是否达到目标（无目标时为空）")


class VillageParticipationType(graphene.ObjectType):
    class Meta:
        name = "VillageParticipation"

    code = graphene.String(required=True)
    name = graphene.String(required=True)
    joined = graphene.Boolean(required=True)
    eligible_people = graphene.Int(required=True)
    eligible_households = graphene.Int(required=True)
    enrolled_people = graphene.Int(required=True)
    enrolled_households = graphene.Int(required=True)


class ParticipationType(graphene.ObjectType):
    class Meta:
        name = "Participation"

    scheme_year = graphene.Int(required=True)
    villages = graphene.Int(required=True)
    villages_joined = graphene.Int(required=True)
    eligible_people = graphene.Int(required=True)
    eligible_households = graphene.Int(required=True)
    enrolled_people = graphene.Int(required=True)
    enrolled_households = graphene.Int(required=True)
    eligible_households_in_joined = graphene.Int(required=True)
    enrolled_households_in_joined = graphene.Int(required=True)
    village_share = graphene.Field(MeasureType, required=True, description="参与的行政村占比")
    household_share_in_joined = graphene.Field(MeasureType, required=True, description="参与村的农户参与率")
    person_share = graphene.Field(MeasureType, required=True, description="群众参与率")
    by_village = graphene.List(graphene.NonNull(VillageParticipationType), required=True)


def measure(m: participation.Measure) -> MeasureType:
    return MeasureType(
        numerator=m.numerator,
        denominator=m.denominator,
        share_bp=m.share_bp,
        target_bp=m.target_bp,
        met=m.met,
    )
