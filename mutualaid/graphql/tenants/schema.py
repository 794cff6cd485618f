"""Towns (platform schema): listing, status of onboarding, onboardTown / retry, and service firms."""

from __future__ import annotations

import graphene
from django.conf import settings
from graphene_django import DjangoConnectionField, DjangoObjectType

from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.mutations import BaseMutation, NotFound, pk_from_global_id
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.regions.schema import CountyType, ProvinceType, _provinces_by_city
from mutualaid.platform.accounts.permissions import (
    ASSIGN_FIRM_TO_TOWN,
    MANAGE_SERVICE_FIRMS,
    ONBOARD_TOWN,
    VIEW_TOWN_PROVISIONING,
    Target,
    has_permission,
    visible_towns_filter,
)
from mutualaid.platform.regions.models import County
from mutualaid.tenants import actions
from mutualaid.tenants.error_codes import TownErrorCode
from mutualaid.tenants.models import Domain, ServiceFirm, Town, TownStatus
from mutualaid.tenants.notices import finance_notice

TownError = error_type("TownError", TownErrorCode)
TownStatusEnum = graphene.Enum.from_enum(TownStatus)


def _domains_by_town(town_ids: list) -> list:
    hosts = dict(
        Domain.objects.filter(tenant_id__in=town_ids, is_primary=True).values_list("tenant_id", "domain")
    )
    return [hosts.get(town_id) for town_id in town_ids]


class TownType(DjangoObjectType):
    status = graphene.Field(TownStatusEnum, required=True)
    status_display = graphene.String(required=True, description="状态中文名")
    county = graphene.Field(CountyType, required=True)
    province = graphene.Field(ProvinceType, required=True)
    host = graphene.String(description="乡镇子域名")
    path_prefix = graphene.String(required=True, description="路径前缀，如 /t/320685107/")
    graphql_url = graphene.String(required=True, description="乡镇 GraphQL 地址（路径形式）")
    error = graphene.String(description="开通失败原因（县/市乡村振兴局与平台可见）")

    class Meta:
        model = Town
        name = "Town"
        fields = ("code", "name", "slug", "created_at", "activated_at")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(visible_towns_filter(info.context.user))

    def resolve_status_display(town, info):
        return town.get_status_display()

    def resolve_county(town, info):
        return by_pk_loader(info, County).load(town.county_id)

    def resolve_province(town, info):
        return get_loader(info, "province_by_county", _provinces_by_county).load(town.county_id)

    def resolve_host(town, info):
        return get_loader(info, "town_host", _domains_by_town).load(town.pk)

    def resolve_path_prefix(town, info):
        return f"/t/{town.code}/"

    def resolve_graphql_url(town, info):
        return f"/t/{town.code}/graphql/"

    def resolve_error(town, info):
        user = info.context.user
        if has_permission(user, VIEW_TOWN_PROVISIONING, Target.town(town.code)):
            return town.error or None
        return None


def _provinces_by_county(county_ids: list) -> list:
    counties = County.objects.in_bulk(county_ids)
    provinces = _provinces_by_city([counties[c].city_id for c in county_ids])
    return provinces


class ServiceFirmType(DjangoObjectType):
    towns = graphene.List(graphene.NonNull(TownType), required=True)

    class Meta:
        model = ServiceFirm
        name = "ServiceFirm"
        fields = ("name", "credit_code", "created_at")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        user = info.context.user
        if user.is_authenticated and user.is_staff:
            return queryset
        visible = Town.objects.filter(visible_towns_filter(user))
        firms_of_user = (
            user.role_assignments.filter(firm__isnull=False).values("firm") if user.is_authenticated else []
        )
        return (queryset.filter(towns__in=visible) | queryset.filter(pk__in=firms_of_user)).distinct()

    def resolve_towns(firm, info):
        return get_loader(info, "firm_towns", _towns_by_firm(info)).load(firm.pk)


def _towns_by_firm(info):
    def load(firm_ids: list) -> list:
        through = ServiceFirm.towns.through
        visible = Town.objects.filter(visible_towns_filter(info.context.user))
        rows = through.objects.filter(servicefirm_id__in=firm_ids, town__in=visible).select_related("town")
        result: dict[int, list] = {firm_id: [] for firm_id in firm_ids}
        for row in rows.order_by("town__code"):
            result[row.servicefirm_id].append(row.town)
        return [result[firm_id] for firm_id in firm_ids]

    return load


class TownQueries(graphene.ObjectType):
    towns = DjangoConnectionField(
        TownType,
        county_code=graphene.String(),
        status=graphene.Argument(TownStatusEnum),
        search=graphene.String(),
        description="可见的乡镇：平台全部，省/县按辖区，镇/村/机构按授权",
    )
    town = graphene.Field(TownType, code=graphene.String(required=True))
    service_firms = DjangoConnectionField(ServiceFirmType)
    base_domain = graphene.String(required=True)

    def resolve_towns(root, info, county_code=None, status=None, search=None, **kwargs):
        queryset = Town.objects.all()
        if county_code:
            queryset = queryset.filter(county__code=county_code)
        if status:
            queryset = queryset.filter(status=status.value if hasattr(status, "value") else status)
        if search:
            queryset = queryset.filter(code__startswith=search) | queryset.filter(name__contains=search)
        return queryset

    def resolve_town(root, info, code):
        return Town.objects.filter(visible_towns_filter(info.context.user)).filter(code=code).first()

    def resolve_service_firms(root, info, **kwargs):
        return ServiceFirm.objects.all()

    def resolve_base_domain(root, info):
        return settings.BASE_DOMAIN


# --- mutations --------------------------------------------------------------------------------------------------


class OnboardTown(BaseMutation):
    """开通试点镇：校验区划代码，创建乡镇与域名，后台克隆模板 schema 后启用，并创建首个镇管理员。"""

    town = graphene.Field(TownType)
    notice = graphene.String(description="开通后镇管理员还须做的事（如邀请镇财政人员）")

    class Arguments:
        code = graphene.String(required=True, description="9 位乡镇区划代码")
        admin_username = graphene.String(description="首个镇管理员用户名；默认 admin_<代码>")
        admin_phone = graphene.String(required=True, description="首个镇管理员手机号，初始密码以短信发送")
        finance_phone = graphene.String(
            description="镇财政人员手机号：开通后发送邀请短信；不填则须由镇管理员邀请"
        )

    class Meta:
        permission = ONBOARD_TOWN
        error_type = TownError

    @classmethod
    def get_target(cls, info, code, **data):
        return Target.county(actions.resolve_township(code).county.code)

    @classmethod
    def perform_mutation(cls, info, code, admin_phone, admin_username=None, finance_phone=None):
        town = actions.request_onboarding(
            actions.resolve_township(code),
            actor=info.context.user,
            admin_username=admin_username or "",
            admin_phone=admin_phone,
            finance_phone=finance_phone or "",
        )
        return cls(town=town, notice=finance_notice(town) or None)


class RetryTownOnboarding(BaseMutation):
    """重试开通失败的乡镇。"""

    town = graphene.Field(TownType)

    class Arguments:
        code = graphene.String(required=True)

    class Meta:
        permission = ONBOARD_TOWN
        error_type = TownError

    @classmethod
    def get_target(cls, info, code, **data):
        town = Town.objects.filter(code=code).first()
        if town is None or not has_permission(info.context.user, ONBOARD_TOWN, Target.town(code)):
            raise NotFound("code")
        return Target.town(code)

    @classmethod
    def perform_mutation(cls, info, code):
        return cls(town=actions.retry_onboarding(Town.objects.get(code=code), actor=info.context.user))


class ServiceFirmCreate(BaseMutation):
    """新增第三方专业服务机构（平台运维）。"""

    firm = graphene.Field(ServiceFirmType)

    class Arguments:
        name = graphene.String(required=True)
        credit_code = graphene.String()

    class Meta:
        permission = MANAGE_SERVICE_FIRMS
        error_type = TownError

    @classmethod
    def perform_mutation(cls, info, name, credit_code=""):
        return cls(
            firm=actions.create_service_firm(name, credit_code=credit_code or "", actor=info.context.user)
        )


class ServiceFirmSetTown(BaseMutation):
    """委托或解除服务机构为某乡镇服务（县/市乡村振兴局限本县乡镇）。"""

    firm = graphene.Field(ServiceFirmType)

    class Arguments:
        firm_id = graphene.ID(required=True)
        town_code = graphene.String(required=True)
        serves = graphene.Boolean(required=True)

    class Meta:
        permission = ASSIGN_FIRM_TO_TOWN
        error_type = TownError

    @classmethod
    def get_target(cls, info, town_code, **data):
        town = Town.objects.filter(code=town_code).first()
        if town is None or not has_permission(info.context.user, ASSIGN_FIRM_TO_TOWN, Target.town(town_code)):
            raise NotFound("townCode")
        return Target.town(town_code)

    @classmethod
    def perform_mutation(cls, info, firm_id, town_code, serves):
        firm = ServiceFirm.objects.filter(pk=pk_from_global_id(firm_id, "ServiceFirm", "firmId")).first()
        if firm is None:
            raise NotFound("firmId")
        town = Town.objects.get(code=town_code)
        return cls(firm=actions.set_firm_serves_town(firm, town, serves, actor=info.context.user))


class TownMutations(graphene.ObjectType):
    onboard_town = OnboardTown.Field()
    retry_town_onboarding = RetryTownOnboarding.Field()
    service_firm_create = ServiceFirmCreate.Field()
    service_firm_set_town = ServiceFirmSetTown.Field()
