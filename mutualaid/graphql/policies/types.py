"""The policy API's output types (town schema): scheme years, versions, subsidy entries and what they hold.

Reads need ``READ_POLICY``. Money is shown in yuan decimal strings; ``defaultedFields`` and the ``isDefault`` flags
mark values that the town's document does not give (文件未规定). The parameters' fields come from the registry
(``mutualaid.graphql.policies.parameters``).
"""

from __future__ import annotations

import graphene
from graphene_django import DjangoConnectionField, DjangoObjectType

from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.values import yuan
from mutualaid.graphql.policies import loaders
from mutualaid.graphql.policies.parameters import MODEL_OUTPUTS, api_name, output_fields
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.policies import actions
from mutualaid.policies.choices import InsuranceType, PolicyStatus, ThresholdBasis
from mutualaid.policies.documents import PRESETS
from mutualaid.policies.error_codes import PolicyErrorCode
from mutualaid.policies.models import PolicyVersion, SchemeYear, SubsidyEntry
from mutualaid.policies.parameters import BY_NAME, PARAMETERS
from mutualaid.policies.permissions import READ_POLICY
from mutualaid.policies.terms import FundingSource, HardshipCategory, SpecialGroupTreatment
from mutualaid.policies.values import NOT_IN_DOCUMENT

PolicyError = error_type("PolicyError", PolicyErrorCode)

PolicyStatusEnum = graphene.Enum.from_enum(PolicyStatus, name="PolicyStatus")
FundingSourceEnum = graphene.Enum.from_enum(FundingSource, name="PolicyFundingSource")
HardshipCategoryEnum = graphene.Enum.from_enum(HardshipCategory, name="PolicyHardshipCategory")
TreatmentEnum = graphene.Enum.from_enum(SpecialGroupTreatment, name="PolicySpecialGroupTreatment")
InsuranceTypeEnum = graphene.Enum.from_enum(InsuranceType, name="PolicyInsuranceType")
ThresholdBasisEnum = graphene.Enum.from_enum(ThresholdBasis, name="PolicyThresholdBasis")

FEE = BY_NAME["fee_per_person_fen"]


def _is_default(policy: PolicyVersion, field: str, key: str | None = None) -> bool:
    names = set(policy.defaulted_fields)
    return field in names or (key is not None and f"{field}.{key}" in names)


def _readable(queryset, info):
    if not has_permission(info.context.user, READ_POLICY, Target.town(info.context.tenant.code)):
        return queryset.none()
    return queryset


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
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_amount(entry, info):
        return yuan(entry.amount_fen)


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
    # The registry's parameters: the fee first, then the lists, then the others the model does not give as they
    # are (amounts in yuan, choices as enums); dates, yes/no and numbers come from the model (Meta.fields).
    locals().update(output_fields((FEE,)))
    funding_shares = graphene.List(graphene.NonNull(PolicyFundingShare), required=True)
    special_groups = graphene.List(graphene.NonNull(PolicySpecialGroup), required=True)
    thresholds = graphene.List(graphene.NonNull(PolicyThreshold), required=True)
    locals().update(output_fields(tuple(p for p in PARAMETERS if p is not FEE)))
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
            "preset_key",
            *MODEL_OUTPUTS,
            "created_at",
            "updated_at",
            "published_at",
        )
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_scheme_year(policy, info):
        return get_loader(info, "scheme_year_number", loaders.year_numbers).load(policy.scheme_year_id)

    def resolve_status_name(policy, info):
        return policy.get_status_display()

    def resolve_based_on_version(policy, info):
        if policy.based_on_id is None:
            return None
        return get_loader(info, "policy_version_number", loaders.version_numbers).load(policy.based_on_id)

    def resolve_defaulted_fields(policy, info):
        return [api_name(name) for name in policy.defaulted_fields]

    def resolve_defaulted_label(policy, info):
        return NOT_IN_DOCUMENT

    def resolve_notes(policy, info):
        preset = PRESETS.get(policy.preset_key)
        if preset is None:
            return []
        return [PolicyNote(field=api_name(k), note=v) for k, v in preset.notes.items()]

    def resolve_funding_shares(policy, info):
        return [
            PolicyFundingShare(
                source=s["source"],
                source_name=FundingSource(s["source"]).label,
                amount=yuan(s["amount_fen"]),
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
                amount=yuan(t["amount_fen"]),
                is_default=_is_default(policy, "thresholds", t["insurance_type"]),
            )
            for t in policy.thresholds
        ]

    def resolve_subsidy_table(policy, info, search=None, **kwargs):
        queryset = SubsidyEntry.objects.filter(policy_id=policy.pk)
        if search:
            text = search.strip()
            queryset = queryset.filter(drg_code__startswith=text.upper()) | queryset.filter(
                drg_name__contains=text
            )
        return queryset.order_by("drg_code")

    def resolve_subsidy_table_size(policy, info):
        return get_loader(info, "policy_table_size", loaders.table_counts).load(policy.pk)

    def resolve_publishing_issues(policy, info):
        if policy.status == PolicyStatus.PUBLISHED:
            return []
        return [
            PolicyIssue(field=api_name(e.field), code=e.code.upper(), message=e.message)  # as the enum NAMEs
            for e in actions.publishing_errors(policy)
        ]


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
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_versions(year, info):
        return get_loader(info, "scheme_year_versions", loaders.versions_by_year).load(year.pk)

    def resolve_has_draft(year, info):
        return get_loader(info, "scheme_year_has_draft", loaders.has_draft).load(year.pk)

    def resolve_published_version(year, info):
        return get_loader(info, "scheme_year_published", loaders.latest_published).load(year.pk)


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


class SubsidyTableFile(graphene.ObjectType):
    filename = graphene.String(required=True)
    content_type = graphene.String(required=True)
    content_base64 = graphene.String(required=True)
    download_url = graphene.String(required=True, description="登录后可直接下载的地址（同一文件）")


class PolicyPreset(graphene.ObjectType):
    key = graphene.String(required=True)
    title = graphene.String(required=True)
    document = graphene.String(required=True)
    scheme_year = graphene.Int(required=True, description="文件所属年度（带年份的预设键默认套用此年度）")
    family = graphene.String(
        required=True, description="文件（如 xinsheng、haian）；按文件套用时默认为下一个开始交费的年度"
    )
    next_scheme_year = graphene.Int(required=True, description="下一个开始交费（或正在交费）的互助年度")
    for_this_town = graphene.Boolean(
        required=True, description="是否本镇所在地区的文件（key 为 auto 时套用）"
    )
