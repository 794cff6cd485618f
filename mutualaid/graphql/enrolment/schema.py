"""Villages, households, members, enrolment, contributions, roster imports and participation (town schema).

ID and phone numbers come masked unless the caller may read them (the town admin; the coordinator of the member's
village), and every unmasked read writes one audit event per request (through a loader). Service-firm reviewers
see what claims need: the name masked, insurance type, register status and enrolment; never ID or phone numbers.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date

import graphene
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from graphene_django import DjangoConnectionField, DjangoObjectType

from mutualaid.enrolment import actions, participation, roster
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.error_codes import EnrolmentErrorCode
from mutualaid.enrolment.models import (
    Contribution,
    EnrolledMember,
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
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.mutations import BaseMutation, NotFound, pk_from_global_id
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.platform import crypto
from mutualaid.platform.accounts.permissions import has_permission
from mutualaid.platform.money import fen_to_yuan, yuan_to_fen
from mutualaid.policies.terms import FundingSource, HardshipCategory

EnrolmentError = error_type("EnrolmentError", EnrolmentErrorCode)
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


def _value(enum_value):
    return getattr(enum_value, "value", enum_value)


def _town(info) -> str:
    return info.context.tenant.code


def _user(info):
    return info.context.user


def _villages_filter(info, rule, field: str) -> Q:
    """Rows of the villages the caller may see under ``rule`` (``field`` leads to the village code)."""
    codes = perms.visible_villages(_user(info), rule, _town(info))
    return Q() if codes is None else Q(**{f"{field}__in": codes})


def _date(value: str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {field: ValidationError("日期格式应为 YYYY-MM-DD", code="invalid_date")}
        ) from exc


def _terms(scheme_year: int):
    from mutualaid.policies.selectors import enrolment_terms

    return enrolment_terms(scheme_year)


class AmountBySource(graphene.ObjectType):
    class Meta:
        name = "AmountBySource"

    source = graphene.Field(SourceEnum, required=True)
    amount = graphene.String(required=True, description="元")


def _amounts(amounts: dict) -> list[AmountBySource]:
    order = {s: i for i, s in enumerate(FundingSource.values)}
    return [
        AmountBySource(source=s, amount=fen_to_yuan(fen))
        for s, fen in sorted(amounts.items(), key=lambda kv: order.get(kv[0], 99))
    ]


class DownloadFile(graphene.ObjectType):
    class Meta:
        name = "DownloadFile"

    file_name = graphene.String(required=True)
    content_type = graphene.String(required=True)
    content_base64 = graphene.String(required=True)


def _download(name: str, data: bytes) -> DownloadFile:
    kind = (
        "text/csv"
        if name.endswith(".csv")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return DownloadFile(file_name=name, content_type=kind, content_base64=base64.b64encode(data).decode())


# --- types ---------------------------------------------------------------------------------------------------------


class VillageType(DjangoObjectType):
    class Meta:
        model = Village
        name = "Village"
        fields = ("code", "name", "joined", "resolution_date")
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection


def _personal_data_loader(info):
    """Unmasked ID/phone numbers keyed by (member, field) for a list level: decrypted and audited once per batch."""

    def load(keys):
        members = list({member.pk: member for member, _ in keys}.values())
        data = actions.read_personal_data(members, _user(info), {field for _, field in keys})
        return [data[member.pk][field] or None for member, field in keys]

    return get_loader(info, "enrolment:personal_data", load)


def _may_read_personal_data(info, member) -> bool:
    return has_permission(
        _user(info), perms.READ_PERSONAL_DATA, perms.village(_town(info), member.household.village.code)
    )


def _is_reviewer_view(info, member) -> bool:
    return not perms.sees_full_names(_user(info), _town(info), member.household.village.code)


def _enrolled_loader(info, scheme_year: int):
    def load(member_ids):
        found = set(
            EnrolledMember.objects.filter(member_id__in=member_ids, scheme_year=scheme_year).values_list(
                "member_id", flat=True
            )
        )
        return [member_id in found for member_id in member_ids]

    return get_loader(info, f"enrolment:enrolled:{scheme_year}", load)


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
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_name(member, info):
        return crypto.mask_name(member.name) if _is_reviewer_view(info, member) else member.name

    def resolve_id_number(member, info):
        if _is_reviewer_view(info, member):
            return None
        if _may_read_personal_data(info, member):
            return _personal_data_loader(info).load((member, "id_number"))
        return member.id_masked

    def resolve_phone(member, info):
        if _is_reviewer_view(info, member):
            return None
        if _may_read_personal_data(info, member):
            return _personal_data_loader(info).load((member, "phone"))
        return member.phone_masked or None

    def resolve_sex(member, info):
        return None if _is_reviewer_view(info, member) else member.sex

    def resolve_birth_date(member, info):
        return None if _is_reviewer_view(info, member) else member.birth_date

    def resolve_relation(member, info):
        return None if _is_reviewer_view(info, member) else member.relation

    def resolve_hardship_categories(member, info):
        return None if _is_reviewer_view(info, member) else member.hardship_categories

    def resolve_registered_on(member, info):
        return None if _is_reviewer_view(info, member) else member.registered_on

    def resolve_household_number(member, info):
        return None if _is_reviewer_view(info, member) else member.household.number

    def resolve_village_code(member, info):
        return member.household.village.code

    def resolve_enrolled(member, info, scheme_year):
        return _enrolled_loader(info, scheme_year).load(member.pk)


def _members_by_household(info):
    def load(household_ids):
        rows: dict[int, list] = {pk: [] for pk in household_ids}
        for member in Member.objects.filter(household_id__in=household_ids).select_related(
            "household__village"
        ):
            rows[member.household_id].append(member)
        return [rows[pk] for pk in household_ids]

    return get_loader(info, "enrolment:members_by_household", load)


def _head_names(member_ids):
    names = dict(Member.objects.filter(pk__in=member_ids).values_list("id", "name"))
    return [names.get(pk) for pk in member_ids]


class HouseholdType(DjangoObjectType):
    village = graphene.Field(VillageType, required=True)
    head_name = graphene.String()
    address = graphene.String()
    members = graphene.List(graphene.NonNull(MemberType), required=True)

    class Meta:
        model = Household
        name = "Household"
        fields = ("id", "number")
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_village(household, info):
        return by_pk_loader(info, Village).load(household.village_id)

    def resolve_head_name(household, info):
        if household.head_id is None:
            return None
        return get_loader(info, "enrolment:head_name", _head_names).load(household.head_id)

    def resolve_address(household, info):
        return household.address or None

    def resolve_members(household, info):
        return _members_by_household(info).load(household.pk)


def _received_loader(info):
    """What was received for enrolments, keyed by (enrolment, view): view "total", "by_source" or "paid_in_full"."""

    def load(keys):
        ids = list({enrolment.pk for enrolment, _ in keys})
        totals: dict[int, dict[str, int]] = {pk: {} for pk in ids}
        rows = Contribution.objects.filter(enrolment_id__in=ids, reversal__isnull=True).values_list(
            "enrolment_id", "amounts_by_source"
        )
        for enrolment_id, amounts in rows:
            for source, fen in amounts.items():
                totals[enrolment_id][source] = totals[enrolment_id].get(source, 0) + fen
        result = []
        for enrolment, view in keys:
            received = totals[enrolment.pk]
            if view == "total":
                result.append(fen_to_yuan(sum(received.values())))
            elif view == "by_source":
                result.append(_amounts(received))
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
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_household(enrolment, info):
        return by_pk_loader(info, Household).load(enrolment.household_id)

    def resolve_due(enrolment, info):
        return fen_to_yuan(enrolment.due_fen)

    def resolve_due_by_source(enrolment, info):
        return _amounts(enrolment.due_by_source)

    def resolve_received(enrolment, info):
        return _received_loader(info).load((enrolment, "total"))

    def resolve_received_by_source(enrolment, info):
        return _received_loader(info).load((enrolment, "by_source"))

    def resolve_paid_in_full(enrolment, info):
        return _received_loader(info).load((enrolment, "paid_in_full"))


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
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_enrolment(contribution, info):
        return by_pk_loader(info, Enrolment).load(contribution.enrolment_id)

    def resolve_amount(contribution, info):
        return fen_to_yuan(contribution.amount_fen)

    def resolve_amounts_by_source(contribution, info):
        return _amounts(contribution.amounts_by_source)

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
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_progress_percent(job, info):
        if job.status == ImportStatus.DONE:
            return 100
        return min(99, job.rows_done * 100 // job.rows_total) if job.rows_total else 0

    def resolve_error_report(job, info):
        if not job.error_report:
            return None
        with job.error_report.open("rb") as handle:
            return _download(job.error_report.name.rsplit("/", 1)[-1], handle.read())


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


def _measure(m: participation.Measure) -> MeasureType:
    return MeasureType(
        numerator=m.numerator,
        denominator=m.denominator,
        share_bp=m.share_bp,
        target_bp=m.target_bp,
        met=m.met,
    )


# --- queries -------------------------------------------------------------------------------------------------------


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
        queryset = Household.objects.filter(_villages_filter(info, perms.READ_HOUSEHOLDS, "village__code"))
        if village_code:
            queryset = queryset.filter(village__code=village_code)
        if number:
            queryset = queryset.filter(number=number)
        return queryset.order_by("number")

    @permission_required(perms.READ_ROSTER)
    def resolve_members(
        root, info, village_code=None, household_number=None, id_number=None, status=None, **kw
    ):
        queryset = Member.objects.filter(
            _villages_filter(info, perms.READ_ROSTER, "household__village__code")
        ).select_related("household__village")
        if village_code:
            queryset = queryset.filter(household__village__code=village_code)
        if household_number:
            queryset = queryset.filter(household__number=household_number)
        if id_number:
            queryset = queryset.filter(id_hash=crypto.lookup_hash(id_number))
        if status:
            queryset = queryset.filter(status=_value(status))
        return queryset.order_by("household__number", "id")

    @permission_required(perms.READ_ENROLMENT)
    def resolve_enrolments(root, info, scheme_year, village_code=None, **kwargs):
        queryset = Enrolment.objects.filter(scheme_year=scheme_year).filter(
            _villages_filter(info, perms.READ_ENROLMENT, "household__village__code")
        )
        if village_code:
            queryset = queryset.filter(household__village__code=village_code)
        return queryset.order_by("household__number")

    @permission_required(perms.READ_CONTRIBUTIONS)
    def resolve_contributions(root, info, scheme_year, village_code=None, **kwargs):
        from django.db.models import F

        queryset = (
            Contribution.objects.filter(scheme_year=scheme_year)
            .filter(_villages_filter(info, perms.READ_CONTRIBUTIONS, "enrolment__household__village__code"))
            .annotate(reversal_reason=F("reversal__reason"))
        )
        if village_code:
            queryset = queryset.filter(enrolment__household__village__code=village_code)
        return queryset.order_by("-recorded_at", "-id")

    @permission_required(perms.IMPORT_ROSTER)
    def resolve_roster_import_jobs(root, info, **kwargs):
        codes = perms.visible_villages(_user(info), perms.IMPORT_ROSTER, _town(info))
        queryset = ImportJob.objects.all()
        return queryset if codes is None else queryset.filter(village_code__in=codes)

    @permission_required(perms.IMPORT_ROSTER)
    def resolve_roster_import_job(root, info, id):
        try:
            pk = pk_from_global_id(id, "RosterImportJob", "id")
        except NotFound:
            return None
        codes = perms.visible_villages(_user(info), perms.IMPORT_ROSTER, _town(info))
        queryset = ImportJob.objects.filter(pk=pk)
        return (queryset if codes is None else queryset.filter(village_code__in=codes)).first()

    @permission_required(perms.IMPORT_ROSTER)
    def resolve_roster_template(root, info, format):
        file_format = _value(format)
        return _download(f"花名册导入模板.{file_format}", roster.template(file_format))

    @permission_required(perms.READ_PARTICIPATION)
    def resolve_participation(root, info, scheme_year):
        from graphql import GraphQLError

        try:
            terms = _terms(scheme_year)
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
            village_share=_measure(found.village_share),
            household_share_in_joined=_measure(found.household_share_in_joined),
            person_share=_measure(found.person_share),
            by_village=[VillageParticipationType(**{k: getattr(v, k) for k in (
                "code", "name", "joined", "eligible_people", "eligible_households", "enrolled_people",
                "enrolled_households")}) for v in found.by_village],
        )  # fmt: skip


# --- mutations -----------------------------------------------------------------------------------------------------


def _village(code: str | None, field: str = "villageCode") -> Village:
    village = Village.objects.filter(code=code or "").first()
    if village is None:
        raise NotFound(field)
    return village


def _object(model, global_id: str, type_name: str, field: str, *related):
    pk = pk_from_global_id(global_id, type_name, field)
    found = model.objects.select_related(*related).filter(pk=pk).first()
    if found is None:
        raise NotFound(field)
    return found


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
        return perms.whole_town(_town(info))

    @classmethod
    def perform_mutation(cls, info, code, name):
        return cls(village=actions.create_village(code, name, actor=_user(info)))


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
        return perms.village(_town(info), _village(village_code).code)

    @classmethod
    def perform_mutation(cls, info, village_code, joined, resolution_date=None):
        village = _village(village_code)
        decided = _date(resolution_date, "resolutionDate")
        return cls(
            village=actions.record_village_decision(
                village, joined=joined, resolution_date=decided, actor=_user(info)
            )
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
        return perms.village(_town(info), _village(village_code).code)

    @classmethod
    def perform_mutation(cls, info, village_code, number, address=""):
        household = actions.create_household(
            _village(village_code), number, address=address or "", actor=_user(info)
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
        household = _object(Household, household_id, "Household", "householdId", "village")
        return perms.village(_town(info), household.village.code)

    @classmethod
    def perform_mutation(cls, info, household_id, hardship_categories=None, **data):
        household = _object(Household, household_id, "Household", "householdId", "village")
        member = actions.add_member(
            household,
            name=data["name"],
            id_number=data["id_number"],
            relation=_value(data["relation"]),
            insurance_type=_value(data["insurance_type"]),
            registered_on=_date(data["registered_on"], "registeredOn"),
            phone=data.get("phone") or "",
            hardship_categories=[_value(c) for c in hardship_categories or []],
            actor=_user(info),
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
        member = _object(Member, member_id, "Member", "memberId", "household__village")
        return perms.village(_town(info), member.household.village.code)

    @classmethod
    def perform_mutation(cls, info, member_id, **data):
        member = _object(Member, member_id, "Member", "memberId", "household__village")
        if data.get("hardship_categories") is not None:
            data["hardship_categories"] = [_value(c) for c in data["hardship_categories"]]
        for key in ("relation", "insurance_type", "status"):
            if data.get(key) is not None:
                data[key] = _value(data[key])
        return cls(member=actions.update_member(member, actor=_user(info), **data))


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
            return perms.village(_town(info), villages.pop())
        return perms.whole_town(_town(info))

    @classmethod
    def perform_mutation(cls, info, scheme_year, household_ids):
        terms = _terms(scheme_year)
        enrolments = actions.enrol_households(
            cls._households(household_ids), terms, now=timezone.now(), actor=_user(info)
        )
        return cls(enrolments=enrolments)


class SourceAmountInput(graphene.InputObjectType):
    source = graphene.Field(SourceEnum, required=True)
    amount = graphene.String(required=True, description="元")


class RecordContribution(BaseMutation):
    """登记实收互助费（现金/银行转账/移动支付，附收据号），并记入资金池台账。"""

    contribution = graphene.Field(ContributionType)

    class Arguments:
        enrolment_id = graphene.ID(required=True)
        method = graphene.Argument(MethodEnum, required=True)
        receipt_number = graphene.String(required=True)
        reference = graphene.String(description="银行或移动支付流水号")
        amounts = graphene.List(graphene.NonNull(SourceAmountInput), description="默认：全部应收未收")
        received_on = graphene.String(description="收款日期 YYYY-MM-DD，默认今天")

    class Meta:
        permission = perms.RECORD_CONTRIBUTION
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, enrolment_id, **data):
        enrolment = _object(Enrolment, enrolment_id, "Enrolment", "enrolmentId", "household__village")
        return perms.village(_town(info), enrolment.household.village.code)

    @classmethod
    def perform_mutation(
        cls, info, enrolment_id, method, receipt_number, reference="", amounts=None, received_on=None
    ):
        enrolment = _object(Enrolment, enrolment_id, "Enrolment", "enrolmentId")
        by_source = None
        if amounts is not None:
            by_source = {}
            for item in amounts:
                source = _value(item.source)
                by_source[source] = by_source.get(source, 0) + yuan_to_fen(item.amount, field="amounts")
        contribution = actions.record_contribution(
            enrolment,
            method=_value(method),
            receipt_number=receipt_number,
            reference=reference or "",
            amounts_by_source=by_source,
            received_on=_date(received_on, "receivedOn"),
            actor=_user(info),
        )
        return cls(contribution=contribution)


class ReverseContribution(BaseMutation):
    """冲销登记错误的互助费收入（互助费不退回；更正只能冲销后重新登记），须填写原因。"""

    contribution = graphene.Field(ContributionType)

    class Arguments:
        contribution_id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = perms.REVERSE_CONTRIBUTION
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, contribution_id, **data):
        found = _object(
            Contribution, contribution_id, "Contribution", "contributionId", "enrolment__household__village"
        )
        return perms.village(_town(info), found.enrolment.household.village.code)

    @classmethod
    def perform_mutation(cls, info, contribution_id, reason):
        contribution = _object(Contribution, contribution_id, "Contribution", "contributionId")
        reversal = actions.reverse_contribution(contribution, reason=reason, actor=_user(info))
        contribution.reversal_reason = reversal.reason
        return cls(contribution=contribution)


class ImportRoster(BaseMutation):
    """上传花名册（.xlsx/.csv，base64），后台导入；用 rosterImportJob 查看进度、结果与错误报告。"""

    job = graphene.Field(RosterImportJobType)

    class Arguments:
        file_name = graphene.String(required=True)
        content_base64 = graphene.String(required=True)
        village_code = graphene.String(description="只导入该村（村协管员必填）")

    class Meta:
        permission = perms.IMPORT_ROSTER
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, village_code=None, **data):
        if village_code:
            return perms.village(_town(info), _village(village_code).code)
        return perms.whole_town(_town(info))

    @classmethod
    def perform_mutation(cls, info, file_name, content_base64, village_code=None):
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                {"contentBase64": ValidationError("文件内容不是有效的 base64", code="unsupported_file_type")}
            ) from exc
        job = actions.submit_roster_import(file_name, content, village_code=village_code, actor=_user(info))
        return cls(job=job)


class EnrolmentMutations(graphene.ObjectType):
    create_village = CreateVillage.Field()
    record_village_decision = RecordVillageDecision.Field()
    create_household = CreateHousehold.Field()
    add_member = AddMember.Field()
    update_member = UpdateMember.Field()
    enrol_households = EnrolHouseholds.Field()
    record_contribution = RecordContribution.Field()
    reverse_contribution = ReverseContribution.Field()
    import_roster = ImportRoster.Field()
