"""Demo data: 江苏省 / 南通市 / 海安市 with 大公镇 and 雅周镇, 重庆市 / 潼南区 with 新胜镇, a service firm serving
all three, and one user per role. Idempotent: running it again changes nothing.

Domain apps declare their demo content on their AppConfig: ``town_demo_steps = ("mutualaid.<app>.demo.<fn>",)``,
dotted paths of idempotent ``(town) -> None`` callables, run inside each demo town's schema in INSTALLED_APPS order.
The root reads them; no app reaches into another to register.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils.module_loading import import_string

from mutualaid.platform.accounts.models import RoleAssignment, User
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.importer import ensure_seed_regions
from mutualaid.platform.regions.models import County, Province
from mutualaid.platform.schemas import town_schema
from mutualaid.tenants import actions
from mutualaid.tenants.models import ServiceFirm, Town, TownStatus
from mutualaid.tenants.provisioning import provision_town

DEMO_TOWNS = ("320685107", "320685109", "500152116")  # 大公镇, 雅周镇, 新胜镇
FIRM_NAME = "福村宝乡村互助服务有限公司（演示）"


def town_demo_steps() -> list[Callable[[Town], None]]:
    """The demo steps every installed app declares, in INSTALLED_APPS order; then the late ones
    (``town_demo_late_steps``), which read the demo data of apps above their own (the scheme design reads
    enrolment and funds)."""
    return [
        import_string(path)
        for attribute in ("town_demo_steps", "town_demo_late_steps")
        for config in apps.get_app_configs()
        for path in getattr(config, attribute, ())
    ]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    scope: str


def _user(username: str, display_name: str, password: str, *, is_staff=False, is_superuser=False) -> User:
    user, _ = User.objects.get_or_create(username=username, defaults={"display_name": display_name})
    user.display_name, user.is_staff, user.is_superuser = display_name, is_staff, is_superuser
    user.set_password(password)
    user.save()
    return user


def _grant(user: User, role: str, **scope) -> None:
    RoleAssignment.objects.get_or_create(user=user, role=role, **scope)


def _onboard(code: str) -> Town:
    town = Town.objects.filter(code=code).first()
    if town is None:
        town = actions.request_onboarding(actions.resolve_township(code), enqueue=False)
    if town.status in (TownStatus.PROVISIONING, TownStatus.FAILED):
        if town.status == TownStatus.FAILED:
            actions.retry_onboarding(town, enqueue=False)
        provision_town(town.pk)
        town.refresh_from_db()
    if town.status != TownStatus.ACTIVE:
        raise RuntimeError(f"{town.name}开通失败：{town.error}")
    return town


def build_demo(password: str = "demo-pass-2022") -> list[DemoLogin]:
    ensure_seed_regions()
    towns = {code: _onboard(code) for code in DEMO_TOWNS}
    dagong, yazhou, xinsheng = (towns[c] for c in DEMO_TOWNS)
    with transaction.atomic():
        firm, _ = ServiceFirm.objects.get_or_create(name=FIRM_NAME)
        firm.towns.add(*towns.values())
        logins = []

        def login(username, display, role, scope_label, **scope):
            user = _user(username, display, password)
            _grant(user, role, **scope)
            logins.append(DemoLogin(username, password, Role(role).label, scope_label))

        login(
            "jiangsu",
            "江苏省乡村振兴局",
            Role.PROVINCE_SUPERVISOR,
            "江苏省",
            province=Province.objects.get(code="32"),
        )
        login(
            "haian",
            "海安市乡村振兴局",
            Role.COUNTY_BUREAU,
            "海安市",
            county=County.objects.get(code="320685"),
        )
        login(
            "tongnan",
            "潼南区乡村振兴局",
            Role.COUNTY_BUREAU,
            "潼南区",
            county=County.objects.get(code="500152"),
        )
        login("dagong_admin", "大公镇农业服务中心", Role.TOWN_ADMIN, "大公镇", town=dagong)
        login("dagong_finance", "大公镇财政", Role.TOWN_FINANCE, "大公镇", town=dagong)
        login("yazhou_admin", "雅周镇农业服务中心", Role.TOWN_ADMIN, "雅周镇", town=yazhou)
        login("yazhou_finance", "雅周镇财政", Role.TOWN_FINANCE, "雅周镇", town=yazhou)
        login("xinsheng_admin", "新胜镇农业服务中心", Role.TOWN_ADMIN, "新胜镇", town=xinsheng)
        login("xinsheng_finance", "新胜镇财政", Role.TOWN_FINANCE, "新胜镇", town=xinsheng)
        login("xinsheng_auditor", "潼南区财政审计（只读）", Role.AUDITOR, "新胜镇", town=xinsheng)
        login(
            "dagong_village",
            "大公镇村协管员",
            Role.VILLAGE_COORDINATOR,
            "大公镇 第一个村",
            town=dagong,
            village_code="320685107201",
        )
        login("reviewer", "服务机构审核员", Role.FIRM_REVIEWER, FIRM_NAME, firm=firm)
        login("firm_manager", "服务机构负责人", Role.FIRM_MANAGER, FIRM_NAME, firm=firm)
        login("member", "大公镇村民", Role.MEMBER, "大公镇", town=dagong)
        _user("platform", "平台运维", password, is_staff=True, is_superuser=True)
        logins.append(DemoLogin("platform", password, "平台运维（超级用户）", "全部"))
    for town in towns.values():
        with town_schema(town):
            for step in town_demo_steps():
                step(town)
    # Platform-level content (public schema) that reads the towns' data: ``platform_demo_steps`` on an AppConfig.
    for config in apps.get_app_configs():
        for path in getattr(config, "platform_demo_steps", ()):
            import_string(path)()
    return logins
