"""Provisioning a town's schema: clone the migrated template (fast), or run every migration (the slow path,
kept for the benchmark and as a fallback). Either way the town turns active only when everything succeeded."""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from mutualaid.platform import crypto
from mutualaid.platform.accounts import people
from mutualaid.platform.accounts.models import RoleAssignment, User
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.schemas import town_schema, use_public_schema
from mutualaid.platform.sms import send_sms
from mutualaid.tenants.migration import ensure_template_schema, migrate_schema, template_schema
from mutualaid.tenants.models import Town, TownStatus
from mutualaid.tenants.notices import finance_notice
from mutualaid.tenants.signals import town_provisioned
from mutualaid.tenants.snapshot import SnapshotUnavailable, clone_from_snapshot

logger = logging.getLogger(__name__)


def _drop_schema(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(name)} CASCADE")


def clone_town_schema(town: Town) -> None:
    try:
        clone_from_snapshot(town.schema_name)
    except SnapshotUnavailable:
        logger.warning(
            "no template snapshot (pg_dump unavailable); cloning with clone_schema()", exc_info=True
        )
        ensure_template_schema()
        CloneSchema().clone_schema(template_schema(), town.schema_name, "DATA")


def migrate_town_schema(town: Town) -> None:
    migrate_schema(town.schema_name)


def _invite_finance(town: Town) -> str:
    """Invite the town-finance user named at onboarding (an SMS code to set a password); what the admin is told."""
    if not town.finance_phone_encrypted:
        return finance_notice(town)
    phone = crypto.decrypt(town.finance_phone_encrypted)
    try:
        people.invite(phone, Role.TOWN_FINANCE, actor=None, town=town, display_name=f"{town.name}财政")
    except ValidationError as exc:  # e.g. the number belongs to a deactivated account: onboarding goes on
        logger.warning("inviting the finance user of town %s failed: %s", town.code, exc.messages)
        return f"镇财政人员邀请未成功（{'；'.join(exc.messages)}），请登录后重新邀请。"
    return f"镇财政人员（{crypto.mask_phone(phone)}）已收到邀请短信。"


def _create_first_admin(town: Town) -> str:
    """The town's first admin, then the finance user named at onboarding. The admin's initial password goes to the
    admin's phone by SMS, which also says whether finance was invited or must still be; it is returned."""
    password = secrets.token_urlsafe(12)
    user, _ = User.objects.get_or_create(
        username=town.admin_username, defaults={"display_name": f"{town.name}管理员"}
    )
    user.set_password(password)
    phone = crypto.decrypt(town.admin_phone_encrypted) if town.admin_phone_encrypted else ""
    if phone and not user.phone_hash and people.user_by_phone(phone) is None:
        people.set_phone(user, phone)  # so the admin can reset a forgotten password by SMS
    user.save()
    _, created = RoleAssignment.objects.get_or_create(user=user, role=Role.TOWN_ADMIN, town=town)
    if created:
        people.audit(None, "role.assign", user, {"role": Role.TOWN_ADMIN.value, "town": town.code})
    notice = _invite_finance(town)
    if phone:
        text = f"{people.SMS_SIGNATURE}{town.name}已开通。{notice}管理员账号 {user.username}，初始密码 {password}"
        transaction.on_commit(lambda: send_sms(phone, text))
    return password


def provision_town(town_id: int, *, by_migrations: bool = False) -> str | None:
    """Make the town's schema and activate it. Idempotent: a town that is not 开通中 is left alone.

    Returns the first admin's initial password (for the CLI), or None when there was nothing to do.
    """
    try:
        with transaction.atomic():
            town = Town.objects.select_for_update().get(pk=town_id)
            if town.status != TownStatus.PROVISIONING:
                return None
            if schema_exists(town.schema_name):  # left over from an interrupted attempt
                _drop_schema(town.schema_name)
            (migrate_town_schema if by_migrations else clone_town_schema)(town)
            with town_schema(town):
                town_provisioned.send(sender=Town, town=town)
            password = _create_first_admin(town)
            town.status, town.error, town.activated_at = TownStatus.ACTIVE, "", timezone.now()
            town.save(update_fields=["status", "error", "activated_at"])
            record_event(None, "town.onboard.active", town, {"code": town.code})
            return password
    except Exception as exc:
        logger.exception("provisioning town %s failed", town_id)
        use_public_schema()
        with transaction.atomic():
            town = Town.objects.select_for_update().get(pk=town_id)
            town.status, town.error = TownStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
            town.save(update_fields=["status", "error"])
            record_event(None, "town.onboard.failed", town, {"error": town.error})
        return None
