"""The shared DRG and ICD catalogues (platform schema), readable by any signed-in user; anonymous is refused.

The tree is browsed level by level with paginated connections (``drgMdcs`` → ``drgAdrgs`` → ``drgs``); below a
node its children come as plain lists through per-request loaders (an MDC has at most a few dozen ADRGs, an ADRG
at most four DRGs), so a page of MDCs with their ADRGs and DRGs costs the same handful of queries at any page size.

``search`` arguments: text made only of letters, digits and ``.+*`` is a code prefix (case-insensitive, an index
range scan); anything else (Chinese) is a name substring. ``nameContains`` forces a name search.
"""

from __future__ import annotations

import graphene
from django.core.exceptions import ValidationError
from graphene_django import DjangoConnectionField

from mutualaid.drg import selectors
from mutualaid.drg.catalogue import UnknownCatalogueVersion
from mutualaid.drg.error_codes import DrgGroupErrorCode
from mutualaid.drg.grouper import check_stay, get_grouper
from mutualaid.drg.permissions import READ_CATALOGUE
from mutualaid.graphql.core.errors import api_path, errors_from_validation
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.graphql.core.values import enum_value
from mutualaid.graphql.drg.inputs import STAY_RENAMES, DrgStayInput, stay_from_input
from mutualaid.graphql.drg.types import (
    DrgAdrgType,
    DrgCatalogueVersionType,
    DrgCityWeightTableType,
    DrgCityWeightType,
    DrgGroupError,
    DrgGroupPayload,
    DrgMdcType,
    DrgSplitEnum,
    DrgType,
    IcdCodeType,
    IcdKindEnum,
    platform_target,
)


class DrgCatalogueQueries(graphene.ObjectType):
    drg_catalogue_versions = DjangoConnectionField(DrgCatalogueVersionType, description="DRG 分组方案版本")
    drg_catalogue_version = graphene.Field(DrgCatalogueVersionType, code=graphene.String(required=True))
    drg_mdcs = DjangoConnectionField(
        DrgMdcType,
        version=graphene.String(required=True, description="版本代码，如 chs-drg-1.1"),
        search=graphene.String(),
    )
    drg_adrgs = DjangoConnectionField(
        DrgAdrgType,
        version=graphene.String(required=True),
        mdc_code=graphene.String(description="如 MDCF"),
        search=graphene.String(),
        name_contains=graphene.String(),
    )
    drgs = DjangoConnectionField(
        DrgType,
        version=graphene.String(required=True),
        mdc_code=graphene.String(),
        adrg_code=graphene.String(),
        split=graphene.Argument(DrgSplitEnum),
        search=graphene.String(description="编码前缀（如 FM1）或名称片段（如 心力衰竭）"),
        name_contains=graphene.String(),
        description="DRG 病组：按版本，可按 MDC / ADRG 筛选，按编码前缀或中文名称搜索",
    )
    drg = graphene.Field(DrgType, version=graphene.String(required=True), code=graphene.String(required=True))
    icd_codes = DjangoConnectionField(
        IcdCodeType,
        kind=graphene.Argument(IcdKindEnum),
        search=graphene.String(description="编码前缀（如 I21、36.0）或名称片段（如 心肌梗死）"),
        name_contains=graphene.String(),
        grey=graphene.Boolean(description="只要灰码（true）或只要可入组编码（false）"),
        description="ICD-10 医保版 2.0 诊断与 ICD-9-CM-3 医保版 2.0 手术操作编码",
    )
    drg_city_weight_tables = DjangoConnectionField(
        DrgCityWeightTableType, city=graphene.String(), year=graphene.Int(), version=graphene.String()
    )
    drg_city_weights = DjangoConnectionField(
        DrgCityWeightType,
        drg_code=graphene.String(required=True),
        version=graphene.String(description="默认所有版本"),
        city=graphene.String(),
        year=graphene.Int(),
        description="某 DRG 编码在各城市权重表中的相对权重与支付标准",
    )

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_catalogue_versions(root, info, **kwargs):
        return selectors.catalogue_versions()

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_catalogue_version(root, info, code):
        return selectors.catalogue_versions().filter(code=code).first()

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_mdcs(root, info, version, search=None, **kwargs):
        return selectors.mdcs(version, search=search)

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_adrgs(root, info, version, mdc_code=None, search=None, name_contains=None, **kwargs):
        return selectors.adrgs(version, mdc_code=mdc_code, search=search, name_contains=name_contains)

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drgs(
        root,
        info,
        version,
        mdc_code=None,
        adrg_code=None,
        split=None,
        search=None,
        name_contains=None,
        **kwargs,
    ):
        return selectors.drgs(
            version,
            mdc_code=mdc_code,
            adrg_code=adrg_code,
            split=enum_value(split),
            search=search,
            name_contains=name_contains,
        )

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg(root, info, version, code):
        return selectors.drg(version, code)

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_icd_codes(root, info, kind=None, search=None, name_contains=None, grey=None, **kwargs):
        return selectors.icd_codes(
            kind=enum_value(kind), search=search, name_contains=name_contains, grey=grey
        )

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_city_weight_tables(root, info, city=None, year=None, version=None, **kwargs):
        return selectors.city_weight_tables(city=city, year=year, version=version)

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_city_weights(root, info, drg_code, version=None, city=None, year=None, **kwargs):
        return selectors.city_weights(drg_code, version=version, city=city, year=year)


class DrgGroupQueries(graphene.ObjectType):
    drg_group = graphene.Field(
        graphene.NonNull(DrgGroupPayload),
        version=graphene.String(required=True, description="版本代码：chs-drg-1.1 或 chs-drg-2.0"),
        input=graphene.Argument(DrgStayInput, required=True),
        description="按 CHS-DRG 分组一次住院：MDC → ADRG → DRG 与分组理由；无法分组时给出类型化错误",
    )

    @permission_required(READ_CATALOGUE, platform_target)
    def resolve_drg_group(root, info, version, input):
        stay = stay_from_input(input)
        try:
            check_stay(stay)
            grouper = get_grouper(version)
        except ValidationError as exc:
            return DrgGroupPayload(
                version=version, errors=errors_from_validation(exc, DrgGroupError, STAY_RENAMES)
            )
        except UnknownCatalogueVersion as exc:
            code = DrgGroupErrorCode.UNKNOWN_CATALOGUE.value
            return DrgGroupPayload(
                version=version, errors=[DrgGroupError(field="version", code=code, message=str(exc))]
            )
        result = grouper.group(**stay)
        errors = []
        if not result.ok:
            field = api_path(result.field, STAY_RENAMES)
            errors.append(DrgGroupError(field=field, code=result.status, message=result.message))
        return DrgGroupPayload(version=version, result=result, errors=errors)
