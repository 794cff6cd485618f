"""mutualaid towns onboard CODE | list | retry CODE"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.roles import Role
from mutualaid.tenants import actions
from mutualaid.tenants.models import Town, town_address
from mutualaid.tenants.notices import FINANCE_MISSING, finance_notice
from mutualaid.tenants.provisioning import provision_town


def _message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    help = "乡镇（租户）管理：开通、列表、重试"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        onboard = sub.add_parser("onboard", help="开通乡镇：克隆模板 schema 并创建首个镇管理员")
        onboard.add_argument("code", help="9 位乡镇区划代码")
        onboard.add_argument("--admin-username", default="")
        onboard.add_argument("--admin-phone", default="", help="初始密码以短信发到此手机号")
        onboard.add_argument(
            "--finance-phone", default="", help="镇财政人员手机号：开通后发送邀请短信；不填则须由镇管理员邀请"
        )
        sub.add_parser("list", help="列出乡镇及状态")
        retry = sub.add_parser("retry", help="重试开通失败的乡镇")
        retry.add_argument("code")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _onboard(self, code, admin_username, admin_phone, finance_phone, **options):
        try:
            town = actions.request_onboarding(
                actions.resolve_township(code),
                admin_username=admin_username,
                admin_phone=admin_phone,
                finance_phone=finance_phone,
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError(_message(exc)) from exc
        self._provision(town)

    def _retry(self, code, **options):
        town = Town.objects.filter(code=code).first()
        if town is None:
            raise CommandError(f"未找到乡镇 {code}")
        try:
            actions.retry_onboarding(town, enqueue=False)
        except ValidationError as exc:
            raise CommandError(_message(exc)) from exc
        self._provision(town)

    def _provision(self, town: Town) -> None:
        password = provision_town(town.pk)
        town.refresh_from_db()
        if town.status != "active":
            raise CommandError(
                f"{town.name}开通失败：{town.error}（可运行 mutualaid towns retry {town.code}）"
            )
        self.stdout.write(f"{town.name}（{town.code}）已开通：{town_address(town)}")
        self.stdout.write(f"镇管理员：{town.admin_username}  初始密码：{password}")
        finance = (
            RoleAssignment.objects.filter(town=town, role=Role.TOWN_FINANCE).select_related("user").first()
        )
        if finance is not None:
            self.stdout.write(f"镇财政：{finance.user.username}（已发送邀请短信，凭验证码设置密码）")
        else:
            self.stdout.write(finance_notice(town) or FINANCE_MISSING)

    def _list(self, **options):
        for town in Town.objects.select_related("county"):
            self.stdout.write(
                f"{town.code}  {town.name:<8} {town.county.name:<8} {town.get_status_display()}"
            )
