"""The scheme-year policy in the town schema: scheme years, versions, subsidy tables, presets and their mutations.

Reads need ``READ_POLICY`` and writes ``MANAGE_POLICY`` (mutualaid.policies.permissions). Money is shown in yuan
decimal strings and entered the same way; ``defaultedFields`` and the ``isDefault`` flags mark values that the
town's document does not give (文件未规定).
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation
from typing import Any

import graphene
from django.core.exceptions import ValidationError
from graphene_django import DjangoConnectionField, DjangoObjectType
from graphql import GraphQLError

from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import get_loader
from mutualaid.graphql.core.mutations import BaseMutation, NotFound, pk_from_global_id
from mutualaid.graphql.core.permissions import PermissionDeniedError, permission_required
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.platform.money import fen_to_yuan, yuan_to_fen
from mutualaid.policies import actions, selectors
from mutualaid.policies import subsidy_table as tables
from mutualaid.policies.error_codes import PolicyErrorCode
from mutualaid.policies.models import PolicyVersion, SchemeYear, SubsidyEntry
from mutualaid.policies.permissions import MANAGE_POLICY, READ_POLICY
from mutualaid.policies.presets import PRESETS
from mutualaid.policies.terms import (
    FundingShare,
    FundingSource,
    HardshipCategory,
    SpecialGroupRule,
    SpecialGroupTreatment,
)
from mutualaid.policies.validation import FIELD_PATHS
from mutualaid.policies.values import (
    NOT_IN_DOCUMENT,
    ExclusionCause,
    InsuranceType,
    PolicyStatus,
    ServiceFeeKind,
    Threshold,
    ThresholdBasis,
    UnlistedDrgRule,
)

PolicyError = error_type("PolicyError", PolicyErrorCode)

PolicyStatusEnum = graphene.Enum.from_enum(PolicyStatus, name="PolicyStatus")
FundingSourceEnum = graphene.Enum.from_enum(FundingSource, name="PolicyFundingSource")
HardshipCategoryEnum = graphene.Enum.from_enum(HardshipCategory, name="PolicyHardshipCategory")
TreatmentEnum = graphene.Enum.from_enum(SpecialGroupTreatment, name="PolicySpecialGroupTreatment")
InsuranceTypeEnum = graphene.Enum.from_enum(InsuranceType, name="PolicyInsuranceType")
ThresholdBasisEnum = graphene.Enum.from_enum(ThresholdBasis, name="PolicyThresholdBasis")
ExclusionCauseEnum = graphene.Enum.from_enum(ExclusionCause, name="PolicyExclusionCause")
UnlistedDrgRuleEnum = graphene.Enum.from_enum(UnlistedDrgRule, name="PolicyUnlistedDrgRule")
ServiceFeeKindEnum = graphene.Enum.from_enum(ServiceFeeKind, name="PolicyServiceFeeKind")


class SubsidyTableFormat(graphene.Enum):
    CSV = "csv"
    XLSX = "xlsx"


def _value(item):
    """A graphene enum input arrives as an enum member; domain code takes its string value."""
    return getattr(item, "value", item)


def _yuan(fen):
    return None if fen is None else fen_to_yuan(fen)


def _is_default(policy: PolicyVersion, field: str, key: str | None = None) -> bool:
    names = set(policy.defaulted_fields)
    return field in names or (key is not None and f"{field}.{key}" in names)


# --- types ------------------------------------------------------------------------------------------------------------


class PolicyFundingShare(graphene.ObjectType):
    source = graphene.Field(FundingSourceEnum, required=True)
    source_name = graphene.String(required=True)
    amount = graphene.String(required=True, description="每人每年出资（元）")
    is_default = graphene.Boolean(required=True, description="文件未规定、由预设或默认值给出")


class PolicySpecialGroup(graphene.ObjectType):
    category = graphene.Field(HardshipCategoryEnum, required=True)
    category_name = graphene.String(required=True)
    treatment = graphene.Field(TreatmentEnum, required=True)
    treatment_name = graphene.String(required=True)
    paid_by = graphene.Field(FundingSourceEnum, description="代缴个人出资部分的来源")
    paid_by_name = graphene.String()
    is_default = graphene.Boolean(required=True)


class PolicyThreshold(graphene.ObjectType):
    insurance_type = graphene.Field(InsuranceTypeEnum, required=True)
    insurance_type_name = graphene.String(required=True)
    basis = graphene.Field(ThresholdBasisEnum, required=True)
    basis_name = graphene.String(required=True)
    amount = graphene.String(required=True, description="单次住院起付金额（元）")
    is_default = graphene.Boolean(required=True)


class PolicyNote(graphene.ObjectType):
    field = graphene.String(required=True)
    note = graphene.String(required=True)


class PolicyIssue(graphene.ObjectType):
    """A reason a draft cannot be published yet (the same checks as publishing)."""

    field = graphene.String()
    code = graphene.String(required=True)
    message = graphene.String(required=True)


class SubsidyEntryType(DjangoObjectType):
    amount = graphene.String(required=True, description="补助定额（元）")

    class Meta:
        model = SubsidyEntry
        name = "SubsidyEntry"
        fields = ("drg_code", "drg_name")
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        if not has_permission(info.context.user, READ_POLICY, Target.town(info.context.tenant.code)):
            return queryset.none()
        return queryset

    def resolve_amount(entry, info):
        return fen_to_yuan(entry.amount_fen)


def _table_counts(policy_ids: list) -> list:
    from django.db.models import Count

    counts = dict(
        SubsidyEntry.objects.filter(policy_id__in=policy_ids)
        .values_list("policy_id")
        .annotate(n=Count("id"))
        .values_list("policy_id", "n")
    )
    return [counts.get(pk, 0) for pk in policy_ids]


class PolicyVersionType(DjangoObjectType):
    scheme_year = graphene.Int(required=True, description="互助年度")
    status = graphene.Field(PolicyStatusEnum, required=True)
    status_name = graphene.String(required=True)
    based_on_version = graphene.Int(description="修订所依据的版本号")
    defaulted_fields = graphene.List(
        graphene.NonNull(graphene.String), required=True, description=f"{NOT_IN_DOCUMENT}（默认值）的参数"
    )
    defaulted_label = graphene.String(required=True, description="默认值的标注文字")
    notes = graphene.List(graphene.NonNull(PolicyNote), required=True, description="预设的说明")
    fee_per_person = graphene.String(description="互助费标准（元/人·年）")
    funding_shares = graphene.List(graphene.NonNull(PolicyFundingShare), required=True)
    special_groups = graphene.List(graphene.NonNull(PolicySpecialGroup), required=True)
    thresholds = graphene.List(graphene.NonNull(PolicyThreshold), required=True)
    per_stay_minimum = graphene.String()
    per_stay_maximum = graphene.String()
    yearly_cap = graphene.String()
    excluded_causes = graphene.List(graphene.NonNull(ExclusionCauseEnum), required=True)
    excluded_cause_names = graphene.List(graphene.NonNull(graphene.String), required=True)
    unlisted_drg_rule = graphene.Field(UnlistedDrgRuleEnum, required=True)
    service_fee_kind = graphene.Field(ServiceFeeKindEnum, required=True)
    service_fee_per_person = graphene.String()
    subsidy_table = DjangoConnectionField(
        SubsidyEntryType,
        search=graphene.String(description="DRG 编码前缀或名称"),
        description="病种补助定额表",
    )
    subsidy_table_size = graphene.Int(required=True)
    publishing_issues = graphene.List(
        graphene.NonNull(PolicyIssue), required=True, description="草稿尚不能发布的原因（已发布版本为空）"
    )

    class Meta:
        model = PolicyVersion
        name = "PolicyVersion"
        fields = (
            "version",
            "effective_from",
            "amendment_reason",
            "preset_key",
            "register_snapshot_date",
            "enrolment_opens",
            "enrolment_closes",
            "coverage_start",
            "coverage_end",
            "claim_deadline",
            "enrol_by_household",
            "fees_refundable",
            "designated_hospitals_only",
            "mainland_only",
            "drg_catalogue_version",
            "service_fee_bp",
            "review_working_days",
            "target_village_share_bp",
            "target_household_share_bp",
            "target_person_share_bp",
            "surplus_carry_over",
            "created_at",
            "updated_at",
            "published_at",
        )
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        if not has_permission(info.context.user, READ_POLICY, Target.town(info.context.tenant.code)):
            return queryset.none()
        return queryset

    def resolve_scheme_year(policy, info):
        return get_loader(info, "scheme_year_number", _year_numbers).load(policy.scheme_year_id)

    def resolve_status_name(policy, info):
        return policy.get_status_display()

    def resolve_based_on_version(policy, info):
        if policy.based_on_id is None:
            return None
        return get_loader(info, "policy_version_number", _version_numbers).load(policy.based_on_id)

    def resolve_defaulted_fields(policy, info):
        result = []
        for name in policy.defaulted_fields:
            head, _, key = name.partition(".")
            api = FIELD_PATHS.get(head, head)
            result.append(f"{api}.{key}" if key else api)
        return result

    def resolve_defaulted_label(policy, info):
        return NOT_IN_DOCUMENT

    def resolve_notes(policy, info):
        preset = PRESETS.get(policy.preset_key)
        if preset is None:
            return []
        return [PolicyNote(field=FIELD_PATHS.get(k, k), note=v) for k, v in preset.notes.items()]

    def resolve_fee_per_person(policy, info):
        return _yuan(policy.fee_per_person_fen)

    def resolve_funding_shares(policy, info):
        return [
            PolicyFundingShare(
                source=s["source"],
                source_name=FundingSource(s["source"]).label,
                amount=fen_to_yuan(s["amount_fen"]),
                is_default=_is_default(policy, "funding_shares", s["source"]),
            )
            for s in policy.funding_shares
        ]

    def resolve_special_groups(policy, info):
        return [
            PolicySpecialGroup(
                category=g["category"],
                category_name=HardshipCategory(g["category"]).label,
                treatment=g["treatment"],
                treatment_name=SpecialGroupTreatment(g["treatment"]).label,
                paid_by=g.get("paid_by"),
                paid_by_name=FundingSource(g["paid_by"]).label if g.get("paid_by") else None,
                is_default=_is_default(policy, "special_groups", g["category"]),
            )
            for g in policy.special_groups
        ]

    def resolve_thresholds(policy, info):
        return [
            PolicyThreshold(
                insurance_type=t["insurance_type"],
                insurance_type_name=InsuranceType(t["insurance_type"]).label,
                basis=t["basis"],
                basis_name=ThresholdBasis(t["basis"]).label,
                amount=fen_to_yuan(t["amount_fen"]),
                is_default=_is_default(policy, "thresholds", t["insurance_type"]),
            )
            for t in policy.thresholds
        ]

    def resolve_per_stay_minimum(policy, info):
        return _yuan(policy.per_stay_min_fen)

    def resolve_per_stay_maximum(policy, info):
        return _yuan(policy.per_stay_max_fen)

    def resolve_yearly_cap(policy, info):
        return _yuan(policy.yearly_cap_fen)

    def resolve_excluded_causes(policy, info):
        return list(policy.excluded_causes)

    def resolve_excluded_cause_names(policy, info):
        return [ExclusionCause(c).label for c in policy.excluded_causes]

    def resolve_service_fee_per_person(policy, info):
        return _yuan(policy.service_fee_per_person_fen)

    def resolve_subsidy_table(policy, info, search=None, **kwargs):
        queryset = SubsidyEntry.objects.filter(policy_id=policy.pk)
        if search:
            text = search.strip()
            queryset = queryset.filter(drg_code__startswith=text.upper()) | queryset.filter(
                drg_name__contains=text
            )
        return queryset.order_by("drg_code")

    def resolve_subsidy_table_size(policy, info):
        return get_loader(info, "policy_table_size", _table_counts).load(policy.pk)

    def resolve_publishing_issues(policy, info):
        if policy.status == PolicyStatus.PUBLISHED:
            return []
        return [
            PolicyIssue(field=e.field, code=e.code, message=e.message)
            for e in actions.publishing_errors(policy)
        ]


def _versions_by_year(year_ids: list) -> list:
    result: dict[int, list] = {pk: [] for pk in year_ids}
    for policy in PolicyVersion.objects.filter(scheme_year_id__in=year_ids).order_by("version"):
        result[policy.scheme_year_id].append(policy)
    return [result[pk] for pk in year_ids]


def _has_draft(year_ids: list) -> list:
    with_draft = set(
        PolicyVersion.objects.filter(scheme_year_id__in=year_ids, status=PolicyStatus.DRAFT).values_list(
            "scheme_year_id", flat=True
        )
    )
    return [pk in with_draft for pk in year_ids]


def _latest_published(year_ids: list) -> list:
    latest: dict[int, PolicyVersion] = {}
    for policy in PolicyVersion.objects.filter(
        scheme_year_id__in=year_ids, status=PolicyStatus.PUBLISHED
    ).order_by("version"):
        latest[policy.scheme_year_id] = policy
    return [latest.get(pk) for pk in year_ids]


def _year_numbers(year_ids: list) -> list:
    years = dict(SchemeYear.objects.filter(pk__in=year_ids).values_list("pk", "year"))
    return [years.get(pk) for pk in year_ids]


def _version_numbers(policy_ids: list) -> list:
    numbers = dict(PolicyVersion.objects.filter(pk__in=policy_ids).values_list("pk", "version"))
    return [numbers.get(pk) for pk in policy_ids]


class SchemeYearType(DjangoObjectType):
    versions = graphene.List(
        graphene.NonNull(PolicyVersionType), required=True, description="各版本（按版本号）"
    )
    has_draft = graphene.Boolean(required=True)
    published_version = graphene.Field(PolicyVersionType, description="最新已发布版本")

    class Meta:
        model = SchemeYear
        name = "SchemeYear"
        fields = ("year", "created_at")
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        if not has_permission(info.context.user, READ_POLICY, Target.town(info.context.tenant.code)):
            return queryset.none()
        return queryset

    def resolve_versions(year, info):
        return get_loader(info, "scheme_year_versions", _versions_by_year).load(year.pk)

    def resolve_has_draft(year, info):
        return get_loader(info, "scheme_year_has_draft", _has_draft).load(year.pk)

    def resolve_published_version(year, info):
        return get_loader(info, "scheme_year_published", _latest_published).load(year.pk)


class CostPreviewLine(graphene.ObjectType):
    drg_code = graphene.String(required=True)
    amount = graphene.String(required=True, description="每例补助（元）")
    admissions_per_thousand = graphene.String(required=True)
    expected_admissions = graphene.String(required=True)
    expected_cost = graphene.String(required=True, description="预计补助支出（元）")
    in_table = graphene.Boolean(required=True)


class CostPreview(graphene.ObjectType):
    participants = graphene.Int(required=True)
    expected_admissions = graphene.String(required=True)
    total = graphene.String(required=True, description="预计年度补助支出（元）")
    per_person = graphene.String(required=True, description="人均（元）")
    fee_income = graphene.String(description="按互助费标准测算的筹资总额（元）")
    lines = graphene.List(graphene.NonNull(CostPreviewLine), required=True)


class DrgRateInput(graphene.InputObjectType):
    drg_code = graphene.String(required=True)
    admissions_per_thousand = graphene.String(required=True, description='每千人年住院例数，如 "2.5"')


class SubsidyTableFile(graphene.ObjectType):
    filename = graphene.String(required=True)
    content_type = graphene.String(required=True)
    content_base64 = graphene.String(required=True)
    download_url = graphene.String(required=True, description="登录后可直接下载的地址（同一文件）")


class PolicyPreset(graphene.ObjectType):
    key = graphene.String(required=True)
    title = graphene.String(required=True)
    document = graphene.String(required=True)
    scheme_year = graphene.Int(required=True)


def _policy(info, policy_id: str, field: str = "policyId") -> PolicyVersion:
    pk = pk_from_global_id(policy_id, "PolicyVersion", field)
    policy = PolicyVersion.objects.select_related("scheme_year").filter(pk=pk).first()
    if policy is None:
        raise NotFound(field)
    return policy


def _read_policy_or_error(info, policy_id: str) -> PolicyVersion:
    try:
        return _policy(info, policy_id)
    except NotFound as exc:
        raise PermissionDeniedError("对象不存在或无权访问") from exc


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def subsidy_table_file(policy: PolicyVersion, fmt: str) -> tuple[str, str, bytes]:
    rows = policy.subsidy_rows()
    content = tables.export_xlsx(rows) if fmt == "xlsx" else tables.export_csv(rows)
    filename = f"subsidy-table-{policy.scheme_year.year}-v{policy.version}.{fmt}"
    return filename, CONTENT_TYPES[fmt], content


class PolicyQueries(graphene.ObjectType):
    scheme_years = DjangoConnectionField(SchemeYearType, description="互助年度")
    policy_versions = DjangoConnectionField(
        PolicyVersionType,
        scheme_year=graphene.Int(),
        status=graphene.Argument(PolicyStatusEnum),
        description="政策版本（新年度在前）",
    )
    policy_version = graphene.Field(PolicyVersionType, id=graphene.ID(required=True))
    policy_for_date = graphene.Field(
        PolicyVersionType,
        date=graphene.Date(required=True),
        description="入院日期适用的已发布政策版本（按保障期与修订生效日期）",
    )
    policy_in_force = graphene.Field(
        PolicyVersionType,
        scheme_year=graphene.Int(required=True),
        on=graphene.Date(description="默认今天"),
        description="某互助年度在某日生效的已发布版本（交费、参加规则以此为准）",
    )
    subsidy_table = DjangoConnectionField(
        SubsidyEntryType,
        policy_id=graphene.ID(required=True),
        search=graphene.String(),
        description="某版本的病种补助定额表（分页）",
    )
    subsidy_cost_preview = graphene.Field(
        CostPreview,
        policy_id=graphene.ID(required=True),
        participants=graphene.Int(required=True),
        admissions=graphene.List(graphene.NonNull(DrgRateInput), required=True),
        description="按参加人数与每千人住院例数测算年度补助支出",
    )
    subsidy_table_file = graphene.Field(
        SubsidyTableFile,
        policy_id=graphene.ID(required=True),
        format=graphene.Argument(SubsidyTableFormat, required=True),
        description="下载补助定额表（CSV 或 XLSX，base64）",
    )
    policy_presets = graphene.List(
        graphene.NonNull(PolicyPreset), required=True, description="可套用的文件预设"
    )

    @permission_required(READ_POLICY)
    def resolve_scheme_years(root, info, **kwargs):
        return SchemeYear.objects.order_by("-year")

    @permission_required(READ_POLICY)
    def resolve_policy_versions(root, info, scheme_year=None, status=None, **kwargs):
        queryset = PolicyVersion.objects.order_by("-scheme_year__year", "-version")
        if scheme_year is not None:
            queryset = queryset.filter(scheme_year__year=scheme_year)
        if status is not None:
            queryset = queryset.filter(status=_value(status))
        return queryset

    @permission_required(READ_POLICY)
    def resolve_policy_version(root, info, id):
        try:
            return _policy(info, id, "id")
        except NotFound:
            return None

    @permission_required(READ_POLICY)
    def resolve_policy_for_date(root, info, date):
        return selectors.policy_for_admission(date)

    @permission_required(READ_POLICY)
    def resolve_policy_in_force(root, info, scheme_year, on=None):
        return selectors.policy_in_force(scheme_year, on)

    @permission_required(READ_POLICY)
    def resolve_subsidy_table(root, info, policy_id, search=None, **kwargs):
        policy = _read_policy_or_error(info, policy_id)
        return PolicyVersionType.resolve_subsidy_table(policy, info, search=search)

    @permission_required(READ_POLICY)
    def resolve_subsidy_cost_preview(root, info, policy_id, participants, admissions):
        policy = _read_policy_or_error(info, policy_id)
        rates = {}
        for item in admissions:
            try:
                rates[item.drg_code.strip().upper()] = Decimal(item.admissions_per_thousand)
            except (InvalidOperation, ValueError) as exc:
                raise GraphQLError(f"住院率格式不正确：{item.admissions_per_thousand}") from exc
        unlisted = policy.per_stay_min_fen or 0 if policy.unlisted_drg_rule == UnlistedDrgRule.MINIMUM else 0
        try:
            preview = tables.preview_cost(
                policy.subsidy_rows(), participants, rates, unlisted_amount_fen=unlisted
            )
        except ValidationError as exc:
            raise GraphQLError(" ".join(exc.messages)) from exc
        table = {row.drg_code for row in policy.subsidy_rows()}
        return CostPreview(
            participants=preview.participants,
            expected_admissions=str(preview.expected_admissions.normalize()),
            total=fen_to_yuan(preview.total_fen),
            per_person=fen_to_yuan(preview.per_person_fen),
            fee_income=_yuan(policy.fee_per_person_fen * participants) if policy.fee_per_person_fen else None,
            lines=[
                CostPreviewLine(
                    drg_code=line.drg_code,
                    amount=fen_to_yuan(line.amount_fen),
                    admissions_per_thousand=str(line.admissions_per_1000),
                    expected_admissions=str(line.expected_admissions.normalize()),
                    expected_cost=fen_to_yuan(line.expected_cost_fen),
                    in_table=line.drg_code in table,
                )
                for line in preview.lines
            ],
        )

    @permission_required(READ_POLICY)
    def resolve_subsidy_table_file(root, info, policy_id, format):
        policy = _read_policy_or_error(info, policy_id)
        fmt = _value(format)
        filename, content_type, content = subsidy_table_file(policy, fmt)
        return SubsidyTableFile(
            filename=filename,
            content_type=content_type,
            content_base64=base64.b64encode(content).decode("ascii"),
            download_url=_download_path(policy, fmt),
        )

    @permission_required(READ_POLICY)
    def resolve_policy_presets(root, info):
        return [
            PolicyPreset(key=p.key, title=p.title, document=p.document, scheme_year=p.values.scheme_year)
            for p in PRESETS.values()
        ]


def _download_path(policy: PolicyVersion, fmt: str) -> str:
    from django.urls import reverse

    return reverse("policy-subsidy-table-download", kwargs={"pk": policy.pk, "fmt": fmt})


# --- mutations --------------------------------------------------------------------------------------------------------


class PolicyMutation(BaseMutation):
    """Base of the policy mutations: a town admin of the current town; the policy ID resolved first."""

    policy = graphene.Field(PolicyVersionType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        town = info.context.tenant
        target = Target.town(town.code)
        if not has_permission(info.context.user, MANAGE_POLICY, target):
            if "id" in data and info.context.user.is_authenticated:
                raise NotFound("id")
            return target  # the base reports permission_denied
        if "id" in data:
            _policy(info, data["id"], "id")
        return target

    @classmethod
    def policy_of(cls, info, data) -> PolicyVersion:
        return _policy(info, data["id"], "id")


class PolicyDraftCreate(PolicyMutation):
    """新建互助年度并创建第 1 版草稿。"""

    class Arguments:
        scheme_year = graphene.Int(required=True, description="互助年度（交费所在年份）")

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, scheme_year):
        return cls(policy=actions.create_draft(scheme_year, info.context.user))


class PolicyDraftInput(graphene.InputObjectType):
    fee_per_person = graphene.String(description="互助费标准（元/人·年）")
    register_snapshot_date = graphene.Date()
    enrolment_opens = graphene.Date()
    enrolment_closes = graphene.Date(description="当日24时截止")
    coverage_start = graphene.Date()
    coverage_end = graphene.Date()
    claim_deadline = graphene.Date()
    enrol_by_household = graphene.Boolean()
    fees_refundable = graphene.Boolean()
    per_stay_minimum = graphene.String(description="单次住院最低补助（元）")
    per_stay_maximum = graphene.String(description="单次住院最高补助（元）")
    yearly_cap = graphene.String(description="个人年度累计最高补助（元）")
    excluded_causes = graphene.List(graphene.NonNull(ExclusionCauseEnum))
    designated_hospitals_only = graphene.Boolean()
    mainland_only = graphene.Boolean()
    drg_catalogue_version = graphene.String(description="如 chs-drg-1.1")
    unlisted_drg_rule = graphene.Field(UnlistedDrgRuleEnum)
    service_fee_kind = graphene.Field(ServiceFeeKindEnum)
    service_fee_bp = graphene.Int(description="服务费比例（基点，1000 = 10%）")
    service_fee_per_person = graphene.String(description="每人服务费（元）")
    review_working_days = graphene.Int()
    target_village_share_bp = graphene.Int(description="行政村参与率目标（基点，5000 = 50%）")
    target_household_share_bp = graphene.Int()
    target_person_share_bp = graphene.Int()
    surplus_carry_over = graphene.Boolean()
    effective_from = graphene.Date(description="修订版本的生效日期")
    amendment_reason = graphene.String(description="修订原因")


MONEY_INPUTS = {
    "fee_per_person": "fee_per_person_fen",
    "per_stay_minimum": "per_stay_min_fen",
    "per_stay_maximum": "per_stay_max_fen",
    "yearly_cap": "yearly_cap_fen",
    "service_fee_per_person": "service_fee_per_person_fen",
}


def _to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


CLEARABLE = {
    "serviceFeeBp": "service_fee_bp",
    "serviceFeePerPerson": "service_fee_per_person_fen",
    "targetVillageShareBp": "target_village_share_bp",
    "targetHouseholdShareBp": "target_household_share_bp",
    "targetPersonShareBp": "target_person_share_bp",
}


def draft_changes(data: dict, clear_fields=()) -> dict:
    """API input (yuan strings, enums) → the domain's ``update_draft`` keyword arguments (fen, strings).

    A null or absent input field is left unchanged; optional parameters are emptied through ``clearFields``.
    """
    changes: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    for field in clear_fields or ():
        if field not in CLEARABLE:
            problems["clearFields"] = [ValidationError(f"此项不能清空：{field}", code="invalid")]
        else:
            changes[CLEARABLE[field]] = None
    for name, value in data.items():
        if value is None:
            continue
        if name in MONEY_INPUTS:
            try:
                changes[MONEY_INPUTS[name]] = yuan_to_fen(value, field=_to_camel(name), allow_zero=False)
            except ValidationError as exc:
                problems.update(exc.error_dict)
        elif name == "excluded_causes":
            changes[name] = [_value(v) for v in value]
        else:
            changes[name] = _value(value)
    if problems:
        raise ValidationError(problems)
    return changes


class PolicyDraftUpdate(PolicyMutation):
    """修改草稿的参数（只传需要修改的字段；金额为元）。"""

    class Arguments:
        id = graphene.ID(required=True)
        input = PolicyDraftInput(required=True)
        clear_fields = graphene.List(
            graphene.NonNull(graphene.String),
            description="清空的可选参数：" + "、".join(CLEARABLE),
        )

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, input, clear_fields=None):
        policy = cls.policy_of(info, {"id": id})
        changes = draft_changes(dict(input), clear_fields)
        return cls(policy=actions.update_draft(policy, info.context.user, **changes))


class FundingShareInput(graphene.InputObjectType):
    source = graphene.Field(FundingSourceEnum, required=True)
    amount = graphene.String(required=True, description="每人每年出资（元）")


class PolicyFundingSharesSet(PolicyMutation):
    """设置筹资结构（各来源每人出资额，合计须等于互助费标准）。"""

    class Arguments:
        id = graphene.ID(required=True)
        shares = graphene.List(graphene.NonNull(FundingShareInput), required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, shares):
        policy = cls.policy_of(info, {"id": id})
        values = [
            FundingShare(
                source=_value(s.source),
                amount_fen=yuan_to_fen(s.amount, field=f"shares[{i}].amount", allow_zero=False),
            )
            for i, s in enumerate(shares)
        ]
        return cls(policy=actions.set_funding_shares(policy, values, info.context.user))


class SpecialGroupInput(graphene.InputObjectType):
    category = graphene.Field(HardshipCategoryEnum, required=True)
    treatment = graphene.Field(TreatmentEnum, required=True)
    paid_by = graphene.Field(FundingSourceEnum, description="个人出资部分由谁全额补助（仅免个人出资时）")


class PolicySpecialGroupsSet(PolicyMutation):
    """设置特殊困难群体：免个人出资（由指定来源代缴）或不参加。"""

    class Arguments:
        id = graphene.ID(required=True)
        groups = graphene.List(graphene.NonNull(SpecialGroupInput), required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, groups):
        policy = cls.policy_of(info, {"id": id})
        values = [
            SpecialGroupRule(
                category=_value(g.category),
                treatment=_value(g.treatment),
                paid_by=_value(g.paid_by) if g.paid_by else None,
            )
            for g in groups
        ]
        return cls(policy=actions.set_special_groups(policy, values, info.context.user))


class ThresholdInput(graphene.InputObjectType):
    insurance_type = graphene.Field(InsuranceTypeEnum, required=True)
    basis = graphene.Field(ThresholdBasisEnum, required=True)
    amount = graphene.String(required=True, description="起付金额（元）")


class PolicyThresholdsSet(PolicyMutation):
    """设置各参保类型的起付条件（口径与金额）。"""

    class Arguments:
        id = graphene.ID(required=True)
        thresholds = graphene.List(graphene.NonNull(ThresholdInput), required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, thresholds):
        policy = cls.policy_of(info, {"id": id})
        values = [
            Threshold(
                insurance_type=_value(t.insurance_type),
                basis=_value(t.basis),
                amount_fen=yuan_to_fen(t.amount, field=f"thresholds[{i}].amount", allow_zero=False),
            )
            for i, t in enumerate(thresholds)
        ]
        return cls(policy=actions.set_thresholds(policy, values, info.context.user))


class PolicySubsidyTableUpload(PolicyMutation):
    """上传补助定额表（.csv 或 .xlsx，base64）；任何一行有误则整表不导入，并列出行号。"""

    class Arguments:
        id = graphene.ID(required=True)
        filename = graphene.String(required=True)
        content_base64 = graphene.String(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, filename, content_base64):
        policy = cls.policy_of(info, {"id": id})
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                {"contentBase64": ValidationError("文件内容不是有效的 base64", code="invalid_file_type")}
            ) from exc
        return cls(policy=actions.upload_subsidy_table(policy, filename, content, info.context.user))


class PolicySubsidyTableScale(PolicyMutation):
    """按系数调整补助定额（四舍五入到元，并限制在单次最低与最高补助之间）。"""

    class Arguments:
        id = graphene.ID(required=True)
        factor = graphene.String(required=True, description='如 "1.1" 表示上调 10%')

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, factor):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.scale_subsidy_table(policy, tables.parse_factor(factor), info.context.user))


class PolicySubsidyTableCopyFromPreviousYear(PolicyMutation):
    """复制上一互助年度已发布版本的补助定额表到本草稿。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.copy_subsidy_table_from_previous_year(policy, info.context.user))


class PolicyPublish(PolicyMutation):
    """发布草稿：校验全部参数，一次列出所有错误；发布后不可修改。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(policy=actions.publish(cls.policy_of(info, {"id": id}), info.context.user))


class PolicyAmend(PolicyMutation):
    """修订已发布版本：复制为新版本草稿，写明生效日期与原因。"""

    class Arguments:
        id = graphene.ID(required=True, description="已发布版本")
        effective_from = graphene.Date(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, effective_from, reason):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.amend(policy, effective_from, reason, info.context.user))


class PolicyCopyToYear(PolicyMutation):
    """复制已发布版本为另一互助年度（如 2023）的第 1 版草稿：参数与补助定额表全部复制，日期顺延相应年数。"""

    class Arguments:
        id = graphene.ID(required=True, description="已发布版本")
        scheme_year = graphene.Int(required=True, description="新的互助年度")

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, scheme_year):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.copy_to_year(policy, scheme_year, info.context.user))


class PolicyPresetApply(PolicyMutation):
    """套用文件预设（如 xinsheng-2022、haian-2022）到该互助年度的草稿，可选直接发布。"""

    class Arguments:
        key = graphene.String(required=True, description="预设键或乡镇代码")
        publish = graphene.Boolean(default_value=False)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, key, publish=False):
        return cls(policy=actions.apply_preset(key, info.context.user, publish=publish))


class PolicyMutations(graphene.ObjectType):
    policy_draft_create = PolicyDraftCreate.Field()
    policy_draft_update = PolicyDraftUpdate.Field()
    policy_funding_shares_set = PolicyFundingSharesSet.Field()
    policy_special_groups_set = PolicySpecialGroupsSet.Field()
    policy_thresholds_set = PolicyThresholdsSet.Field()
    policy_subsidy_table_upload = PolicySubsidyTableUpload.Field()
    policy_subsidy_table_scale = PolicySubsidyTableScale.Field()
    policy_subsidy_table_copy_from_previous_year = PolicySubsidyTableCopyFromPreviousYear.Field()
    policy_publish = PolicyPublish.Field()
    policy_amend = PolicyAmend.Field()
    policy_copy_to_year = PolicyCopyToYear.Field()
    policy_preset_apply = PolicyPresetApply.Field()
