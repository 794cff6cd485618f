"""Shared pieces of the supervision mutations: the error type and look-ups that answer NOT_FOUND for missing and
forbidden objects alike."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from mutualaid.graphql.core.errors import NotFound, error_type
from mutualaid.platform.accounts.permissions import Rule, Target, has_permission
from mutualaid.platform.regions.models import County
from mutualaid.reporting.error_codes import ReportingErrorCode
from mutualaid.reporting.rules import invalid
from mutualaid.tenants.models import Town

ReportingError = error_type("ReportingError", ReportingErrorCode)


def town_for(info, code: str, rule: Rule, field: str = "town_code") -> Town:
    town = Town.objects.filter(code=code or "").first()
    if town is None or not has_permission(info.context.user, rule, Target.town(town.code)):
        raise NotFound(field)
    return town


def county_for(info, code: str, rule: Rule, field: str = "county_code") -> County:
    county = County.objects.filter(code=code or "").first()
    if county is None or not has_permission(info.context.user, rule, Target.county(county.code)):
        raise NotFound(field)
    return county


def bp(value, field: str) -> int | None:
    """A percent (e.g. 50 or 32.5) as basis points."""
    if value is None:
        return None
    try:
        result = Decimal(str(value)) * 100
    except InvalidOperation as exc:
        raise invalid(field, "比例不正确", ReportingErrorCode.INVALID_SHARE) from exc
    if result != result.to_integral_value() or not 0 <= result <= 10000:
        raise invalid(field, "目标比例须在 0% 至 100% 之间，最多两位小数", ReportingErrorCode.INVALID_SHARE)
    return int(result)
