"""Conversions at the API edge, written once: enum inputs, dates, yuan amounts."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from mutualaid.platform.money import fen_to_yuan, yuan_to_fen


def enum_value(item):
    """A graphene enum input arrives as an enum member; domain code takes its string value."""
    return getattr(item, "value", item)


def yuan(fen: int | None) -> str | None:
    """Fen as a yuan decimal string for output; None stays None."""
    return None if fen is None else fen_to_yuan(fen)


def fen(value, field: str, *, allow_zero: bool = False, allow_negative: bool = False) -> int:
    """A required yuan amount typed by a person, as fen (typed error ``invalid_amount``)."""
    return yuan_to_fen(value, field=field, allow_zero=allow_zero, allow_negative=allow_negative)


def optional_fen(value, field: str, *, default: int | None = 0) -> int | None:
    """An optional yuan amount: blank gives ``default``."""
    if value in (None, ""):
        return default
    return yuan_to_fen(value, field=field)


# Any date the API takes lies in this range (each action checks what its date means within it).
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2200, 12, 31)


def parse_date(value, field: str, *, required: bool = True) -> date | None:
    """A date input (``graphene.Date`` gives a date already; strings are ISO ``YYYY-MM-DD``)."""
    if value in (None, ""):
        if required:
            raise ValidationError({field: ValidationError("请填写日期", code="required")})
        return None
    if isinstance(value, date):
        found = value
    else:
        try:
            found = date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValidationError(
                {field: ValidationError(f"日期格式不正确：{value}（应为 YYYY-MM-DD）", code="invalid_date")}
            ) from exc
    if not EARLIEST_DATE <= found <= LATEST_DATE:
        raise ValidationError(
            {
                field: ValidationError(
                    f"日期 {found.isoformat()} 超出范围（{EARLIEST_DATE.year} 至 {LATEST_DATE.year} 年）",
                    code="invalid_date",
                )
            }
        )
    return found
