"""Onboarding towns (开通试点镇) and service firms."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from mutualaid.platform import crypto
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.regions.models import Township
from mutualaid.platform.validators import normalise_mobile
from mutualaid.tenants.error_codes import TownErrorCode
from mutualaid.tenants.models import Domain, ServiceFirm, Town, TownStatus
from mutualaid.tenants.naming import schema_name_for, slug_for

_TOWN_CODE = re.compile(r"^\d{9}$")


def base_domain() -> str:
    from django.conf import settings

    return str(settings.BASE_DOMAIN)


def resolve_township(code: str) -> Township:
    if not _TOWN_CODE.match(code or ""):
        raise ValidationError(
            {"code": ValidationError("乡镇区划代码应为 9 位数字", code=TownErrorCode.INVALID_CODE.value)}
        )
    township = Township.objects.select_related("county").filter(code=code).first()
    if township is None:
        raise ValidationError(
            {
                "code": ValidationError(
                    f"未找到区划代码 {code} 对应的乡镇", code=TownErrorCode.UNKNOWN_CODE.value
                )
            }
        )
    return township


def _enqueue_provisioning(town: Town) -> None:
    from mutualaid.tenants.tasks import provision_town_task

    town_id = town.pk
    transaction.on_commit(lambda: provision_town_task.delay(town_id))


@transaction.atomic
def request_onboarding(
    township: Township,
    *,
    actor=None,
    admin_username: str = "",
    admin_phone: str = "",
    finance_phone: str = "",
    enqueue: bool = True,
) -> Town:
    """Create the Town (status 开通中) and its domain; the schema is provisioned by a Celery task.

    With ``finance_phone`` the town-finance user is invited once the town is active; otherwise the town admin is
    told (``notices.finance_notice``) that the finance role must be invited before grants can be recorded."""
    if Town.objects.filter(code=township.code).exists():
        raise ValidationError(
            {
                "code": ValidationError(
                    f"{township.name}已开通或正在开通", code=TownErrorCode.ALREADY_ONBOARDED.value
                )
            }
        )
    phone = normalise_mobile(admin_phone, field="adminPhone") if admin_phone else ""
    finance = normalise_mobile(finance_phone, field="finance_phone") if finance_phone else ""
    taken = set(Town.objects.values_list("slug", flat=True))
    town = Town.objects.create(
        code=township.code,
        name=township.name,
        slug=slug_for(township.name, township.code, taken),
        schema_name=schema_name_for(township.code),
        county=township.county,
        status=TownStatus.PROVISIONING,
        admin_username=admin_username or f"admin_{township.code}",
        admin_phone_encrypted=crypto.encrypt(phone) if phone else "",
        finance_phone_encrypted=crypto.encrypt(finance) if finance else "",
    )
    Domain.objects.create(tenant=town, domain=f"{town.slug}.{base_domain()}", is_primary=True)
    record_event(actor, "town.onboard.request", town, {"code": town.code, "name": town.name})
    if enqueue:
        _enqueue_provisioning(town)
    return town


@transaction.atomic
def retry_onboarding(town: Town, *, actor=None, enqueue: bool = True) -> Town:
    town = Town.objects.select_for_update().get(pk=town.pk)
    if town.status != TownStatus.FAILED:
        raise ValidationError(
            {"code": ValidationError("只有开通失败的乡镇可以重试", code=TownErrorCode.NOT_RETRYABLE.value)}
        )
    town.status, town.error = TownStatus.PROVISIONING, ""
    town.save(update_fields=["status", "error"])
    record_event(actor, "town.onboard.retry", town, {"code": town.code})
    if enqueue:
        _enqueue_provisioning(town)
    return town


@transaction.atomic
def create_service_firm(name: str, *, credit_code: str = "", actor=None) -> ServiceFirm:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError("请填写机构名称", code=TownErrorCode.INVALID.value)})
    if ServiceFirm.objects.filter(name=name).exists():
        raise ValidationError({"name": ValidationError("机构名称已存在", code=TownErrorCode.INVALID.value)})
    firm = ServiceFirm.objects.create(name=name, credit_code=credit_code)
    record_event(actor, "firm.create", firm, {"name": name})
    return firm


@transaction.atomic
def set_firm_serves_town(firm: ServiceFirm, town: Town, serves: bool, *, actor=None) -> ServiceFirm:
    (firm.towns.add if serves else firm.towns.remove)(town)
    record_event(actor, "firm.towns.add" if serves else "firm.towns.remove", firm, {"town": town.code})
    return firm
