"""The policy API's queries (town schema): scheme years, versions, the version in force, subsidy tables, presets.

Every field needs ``READ_POLICY``; a policy ID that is missing or unreadable is refused the same way.
"""

from __future__ import annotations

import base64
from decimal import Decimal, InvalidOperation

import graphene
from django.core.exceptions import ValidationError
from django.urls import reverse
from graphene_django import DjangoConnectionField
from graphql import GraphQLError

from mutualaid.graphql.core.mutations import NotFound, pk_from_global_id
from mutualaid.graphql.core.permissions import PermissionDeniedError, permission_required
from mutualaid.graphql.core.values import enum_value, yuan
from mutualaid.graphql.policies.inputs import DrgRateInput, SubsidyTableFormat
from mutualaid.graphql.policies.types import (
    CostPreview,
    CostPreviewLine,
    PolicyPreset,
    PolicyStatusEnum,
    PolicyVersionType,
    SchemeYearType,
    SubsidyEntryType,
    SubsidyTableFile,
)
from mutualaid.policies import selectors
from mutualaid.policies import subsidy_table as tables
from mutualaid.policies.choices import UnlistedDrgRule
from mutualaid.policies.documents import AUTO, PRESETS, resolve
from mutualaid.policies.models import PolicyVersion, SchemeYear
from mutualaid.policies.permissions import READ_POLICY


def policy_by_id(info, policy_id: str, field: str = "policyId") -> PolicyVersion:
    pk = pk_from_global_id(policy_id, "PolicyVersion", field)
    policy = PolicyVersion.objects.select_related("scheme_year").filter(pk=pk).first()
    if policy is None:
        raise NotFound(field)
    return policy


def _read_policy_or_error(info, policy_id: str) -> PolicyVersion:
    try:
        return policy_by_id(info, policy_id)
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
            queryset = queryset.filter(status=enum_value(status))
        return queryset

    @permission_required(READ_POLICY)
    def resolve_policy_version(root, info, id):
        try:
            return policy_by_id(info, id, "id")
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
            total=yuan(preview.total_fen),
            per_person=yuan(preview.per_person_fen),
            fee_income=yuan(policy.fee_per_person_fen * participants) if policy.fee_per_person_fen else None,
            lines=[
                CostPreviewLine(
                    drg_code=line.drg_code,
                    amount=yuan(line.amount_fen),
                    admissions_per_thousand=str(line.admissions_per_1000),
                    expected_admissions=str(line.expected_admissions.normalize()),
                    expected_cost=yuan(line.expected_cost_fen),
                    in_table=line.drg_code in table,
                )
                for line in preview.lines
            ],
        )

    @permission_required(READ_POLICY)
    def resolve_subsidy_table_file(root, info, policy_id, format):
        policy = _read_policy_or_error(info, policy_id)
        fmt = enum_value(format)
        filename, content_type, content = subsidy_table_file(policy, fmt)
        return SubsidyTableFile(
            filename=filename,
            content_type=content_type,
            content_base64=base64.b64encode(content).decode("ascii"),
            download_url=_download_path(policy, fmt),
        )

    @permission_required(READ_POLICY)
    def resolve_policy_presets(root, info):
        today, own = selectors.today(), resolve(AUTO, info.context.tenant.code)
        return [
            PolicyPreset(
                key=p.key,
                title=p.title,
                document=p.document,
                scheme_year=p.values.scheme_year,
                family=p.family,
                next_scheme_year=p.next_year_to_open(today),
                for_this_town=own is not None and own.preset is p,
            )
            for p in PRESETS.values()
        ]


def _download_path(policy: PolicyVersion, fmt: str) -> str:
    return reverse("policy-subsidy-table-download", kwargs={"pk": policy.pk, "fmt": fmt})
