"""GraphQL types of the shared DRG and ICD catalogues and of a grouping result (platform schema).

The catalogue types read through per-request loaders; nodes fetched by global id obey the same rule as the list
fields (any signed-in user)."""

from __future__ import annotations

from collections import defaultdict

import graphene
from django.db.models import Count
from graphene_django import DjangoObjectType

from mutualaid.drg.error_codes import DrgGroupErrorCode
from mutualaid.drg.grouper import OK
from mutualaid.drg.models import (
    Adrg,
    CatalogueVersion,
    CityDrgWeight,
    CityWeightTable,
    Drg,
    IcdCode,
    ListKind,
    Mdc,
    PaymentStandard,
    Split,
)
from mutualaid.drg.permissions import READ_CATALOGUE
from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.platform.money import fen_to_yuan

DrgSplitEnum = graphene.Enum.from_enum(Split, name="DrgSplit")
IcdKindEnum = graphene.Enum.from_enum(ListKind, name="IcdKind")


def platform_target(info, *args, **kwargs) -> Target:
    return Target.platform()


def _readable(queryset, info):
    """Nodes fetched by global id obey the same rule as the list fields."""
    if has_permission(info.context.user, READ_CATALOGUE, Target.platform()):
        return queryset
    return queryset.none()


def _grouped(model, field: str, keys: list, order: str = "code") -> list[list]:
    rows: dict = defaultdict(list)
    for row in model.objects.filter(**{f"{field}__in": keys}).order_by(order):
        rows[getattr(row, field)].append(row)
    return [rows.get(key, []) for key in keys]


def _count_by_version(model):
    def load(version_ids: list) -> list[int]:
        rows = model.objects.filter(version_id__in=version_ids).values("version_id").annotate(n=Count("id"))
        counts = {row["version_id"]: row["n"] for row in rows}
        return [counts.get(vid, 0) for vid in version_ids]

    return load


def _mdcs_by_adrg(adrg_ids: list) -> list:
    adrgs = Adrg.objects.select_related("mdc").in_bulk(adrg_ids)
    return [adrgs[a].mdc if a in adrgs else None for a in adrg_ids]


def _version_of(info, obj):
    return by_pk_loader(info, CatalogueVersion).load(obj.version_id)


class DrgCatalogueVersionType(DjangoObjectType):
    mdc_count = graphene.Int(required=True)
    adrg_count = graphene.Int(required=True)
    drg_count = graphene.Int(required=True)

    class Meta:
        model = CatalogueVersion
        name = "DrgCatalogueVersion"
        description = "DRG 分组方案版本（如 CHS-DRG 1.1、CHS-DRG 2.0）"
        fields = ("code", "name", "imported_at")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_mdc_count(version, info):
        return get_loader(info, "drg_mdc_count", _count_by_version(Mdc)).load(version.pk)

    def resolve_adrg_count(version, info):
        return get_loader(info, "drg_adrg_count", _count_by_version(Adrg)).load(version.pk)

    def resolve_drg_count(version, info):
        return get_loader(info, "drg_drg_count", _count_by_version(Drg)).load(version.pk)


class DrgType(DjangoObjectType):
    split = graphene.Field(
        DrgSplitEnum, required=True, description="细分：末位 1 伴 MCC，3 伴 CC，5 不伴，9 未细分"
    )
    split_display = graphene.String(required=True)
    adrg = graphene.Field(lambda: DrgAdrgType, required=True)
    mdc = graphene.Field(lambda: DrgMdcType, required=True)
    version = graphene.Field(DrgCatalogueVersionType, required=True)
    city_weights = graphene.List(
        graphene.NonNull(lambda: DrgCityWeightType),
        required=True,
        city=graphene.String(),
        year=graphene.Int(),
        description="各城市该 DRG 的相对权重与支付标准（设计补助表的参考）",
    )

    class Meta:
        model = Drg
        name = "Drg"
        description = "DRG 病组"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_split(drg, info):
        return Split(drg.split)

    def resolve_split_display(drg, info):
        return drg.get_split_display()

    def resolve_adrg(drg, info):
        return by_pk_loader(info, Adrg).load(drg.adrg_id)

    def resolve_mdc(drg, info):
        return get_loader(info, "drg_mdc_by_adrg", _mdcs_by_adrg).load(drg.adrg_id)

    def resolve_version(drg, info):
        return _version_of(info, drg)

    def resolve_city_weights(drg, info, city=None, year=None):
        def load(drg_ids: list) -> list:
            queryset = CityDrgWeight.objects.filter(drg_id__in=drg_ids).select_related("table")
            if city:
                queryset = queryset.filter(table__city=city)
            if year:
                queryset = queryset.filter(table__year=year)
            rows: dict = defaultdict(list)
            for weight in queryset.order_by("table__city", "-table__year"):
                rows[weight.drg_id].append(weight)
            return [rows.get(key, []) for key in drg_ids]

        return get_loader(info, f"drg_city_weights:{city}:{year}", load).load(drg.pk)


class DrgAdrgType(DjangoObjectType):
    mdc = graphene.Field(lambda: DrgMdcType, required=True)
    version = graphene.Field(DrgCatalogueVersionType, required=True)
    drgs = graphene.List(graphene.NonNull(DrgType), required=True, description="本 ADRG 的 DRG（至多 4 个）")

    class Meta:
        model = Adrg
        name = "DrgAdrg"
        description = "核心疾病诊断相关分组（ADRG）"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_mdc(adrg, info):
        return by_pk_loader(info, Mdc).load(adrg.mdc_id)

    def resolve_version(adrg, info):
        return _version_of(info, adrg)

    def resolve_drgs(adrg, info):
        return get_loader(info, "drgs_by_adrg", lambda keys: _grouped(Drg, "adrg_id", keys)).load(adrg.pk)


class DrgMdcType(DjangoObjectType):
    version = graphene.Field(DrgCatalogueVersionType, required=True)
    adrgs = graphene.List(graphene.NonNull(DrgAdrgType), required=True, description="本 MDC 的全部 ADRG")

    class Meta:
        model = Mdc
        name = "DrgMdc"
        description = "主要诊断大类（MDC）"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_version(mdc, info):
        return _version_of(info, mdc)

    def resolve_adrgs(mdc, info):
        return get_loader(info, "adrgs_by_mdc", lambda keys: _grouped(Adrg, "mdc_id", keys)).load(mdc.pk)


class IcdCodeType(DjangoObjectType):
    kind = graphene.Field(
        IcdKindEnum, required=True, description="诊断（ICD-10 医保版）或手术操作（ICD-9-CM-3 医保版）"
    )
    grey = graphene.Boolean(required=True, description="灰码：有效编码，但不能用于 DRG 分组")

    class Meta:
        model = IcdCode
        name = "IcdCode"
        description = "ICD 医保版 2.0 编码"
        fields = ("code", "name", "edition")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_kind(icd, info):
        return ListKind(icd.kind)


class DrgCityWeightTableType(DjangoObjectType):
    version = graphene.Field(DrgCatalogueVersionType, required=True)
    columns = graphene.List(graphene.NonNull(graphene.String), required=True, description="原表列名")
    unknown_codes = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="不在该分组方案版本中的编码（地方细分组等）",
    )

    class Meta:
        model = CityWeightTable
        name = "DrgCityWeightTable"
        description = "城市 DRG 相对权重与支付标准表"
        fields = ("city", "year", "source_name", "encoding", "imported_at")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_version(table, info):
        return _version_of(info, table)


class DrgPaymentStandardType(graphene.ObjectType):
    column = graphene.String(required=True, description="原表列名")
    hospital_level = graphene.String(required=True, description="医院等级（空：不分等级）")
    insurance_type = graphene.String(required=True, description="参保类型：职工 / 居民（空：不分）")
    amount = graphene.String(required=True, description="支付标准（元）")

    class Meta:
        name = "DrgPaymentStandard"

    def resolve_amount(standard, info):
        return fen_to_yuan(standard.amount_fen)


class DrgCityWeightType(DjangoObjectType):
    table = graphene.Field(
        DrgCityWeightTableType, required=True, description="所属城市权重表（城市、年度、版本）"
    )
    drg = graphene.Field(DrgType, description="对应的 DRG；编码不在该版本中时为空")
    relative_weight = graphene.String(description="相对权重 RW（十进制字符串）")
    extra = graphene.JSONString(
        required=True, description="原表其他列（费率、等级系数、病组标识等），原样保留"
    )
    payment_standards = graphene.List(graphene.NonNull(DrgPaymentStandardType), required=True)

    class Meta:
        model = CityDrgWeight
        name = "DrgCityWeight"
        description = "某城市某年度某 DRG 的相对权重与支付标准"
        fields = ("drg_code", "name", "group_type")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return _readable(queryset, info)

    def resolve_table(weight, info):
        return by_pk_loader(info, CityWeightTable).load(weight.table_id)

    def resolve_drg(weight, info):
        return by_pk_loader(info, Drg).load(weight.drg_id) if weight.drg_id else None

    def resolve_relative_weight(weight, info):
        value = weight.relative_weight
        return None if value is None else format(value.normalize(), "f")

    def resolve_payment_standards(weight, info):
        loader = get_loader(
            info, "drg_payment_standards", lambda keys: _grouped(PaymentStandard, "weight_id", keys, "id")
        )
        return loader.load(weight.pk)


# --- grouping -------------------------------------------------------------------------------------------------

DrgGroupError = error_type("DrgGroupError", DrgGroupErrorCode)
DrgGroupStatusEnum = graphene.Enum(
    "DrgGroupStatus",
    [("OK", OK)]
    + [(code.name, code.value) for code in DrgGroupErrorCode if code.name != "UNKNOWN_CATALOGUE"],
    description="分组结果：OK 已入组；其余为无法分组的原因（此时 drg 为 0000）",
)


class DrgGroupResultType(graphene.ObjectType):
    status = graphene.Field(DrgGroupStatusEnum, required=True)
    mdc = graphene.String(required=True, description="主要诊断大类编码，如 MDCF（无法分组时为空）")
    mdc_name = graphene.String(required=True)
    adrg = graphene.String(required=True, description="ADRG 编码，如 FM1")
    adrg_name = graphene.String(required=True)
    drg = graphene.String(required=True, description="DRG 编码，如 FM19；无法分组时为 0000")
    drg_name = graphene.String(required=True)
    split = graphene.Field(DrgSplitEnum, description="末位：1 伴 MCC，3 伴 CC，5 不伴，9 未细分")
    reasons = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="分组路径：进入 MDC 的规则、选定 ADRG 的诊断或手术、计入或被排除的 MCC/CC、末位",
    )

    class Meta:
        name = "DrgGroupResult"
        description = "一次住院的 DRG 分组结果与理由"

    def resolve_status(result, info):
        return result.status

    def resolve_split(result, info):
        return Split(result.split) if result.split else None


class DrgGroupPayload(graphene.ObjectType):
    version = graphene.String(required=True, description="分组方案版本代码")
    result = graphene.Field(DrgGroupResultType, description="分组结果；版本或输入有误时为空")
    errors = graphene.List(graphene.NonNull(DrgGroupError), required=True)

    class Meta:
        name = "DrgGroupPayload"
