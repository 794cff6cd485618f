"""Pure rules of the fund ledger (no database): input checks that raise typed ValidationErrors."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from mutualaid.funds.error_codes import FundsErrorCode as Code
from mutualaid.platform.money import MAX_FEN, fen_to_yuan

EARLIEST_SCHEME_YEAR = 2015  # the first rural mutual-aid pilots; anything earlier is a typing error


def invalid(field: str, message: str, code: Code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


def check_scheme_year(scheme_year, today: date, field: str = "scheme_year") -> int:
    if isinstance(scheme_year, bool) or not isinstance(scheme_year, int):
        raise invalid(field, f"互助年度应为整数年份：{scheme_year!r}", Code.INVALID_YEAR)
    if not EARLIEST_SCHEME_YEAR <= scheme_year <= today.year + 1:
        raise invalid(field, f"互助年度 {scheme_year} 不在合理范围内", Code.INVALID_YEAR)
    return scheme_year


def check_amount(amount_fen, field: str = "amount") -> int:
    """A positive whole number of fen no larger than the platform's sanity cap (1 亿元)."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise invalid(field, "金额应为整数（分）", Code.INVALID_AMOUNT)
    if amount_fen <= 0:
        raise invalid(field, "金额必须大于零", Code.INVALID_AMOUNT)
    if amount_fen > MAX_FEN:
        raise invalid(field, f"金额超出合理范围（不超过 {fen_to_yuan(MAX_FEN)} 元）", Code.INVALID_AMOUNT)
    return amount_fen


def posting_window(scheme_year: int) -> tuple[date, date]:
    """The dates on which money of a scheme year can move.

    A scheme year is named by the year enrolment happens in. Fund-raising starts early in that year (海安: funds
    raised by the end of June; grants pledged in May), coverage runs to 31 Oct of the next year and claims are
    accepted until 31 Dec of the next year (新胜镇), so the pool of year Y is open from 1 Jan Y to 31 Dec Y+1.
    """
    return date(scheme_year, 1, 1), date(scheme_year + 1, 12, 31)


def check_entry_date(value, scheme_year: int, today: date, field: str = "date") -> date:
    if not isinstance(value, date):
        raise invalid(field, "日期格式不正确", Code.INVALID_DATE)
    if value > today:
        raise invalid(field, f"日期 {value.isoformat()} 晚于今天，不能预先记账", Code.INVALID_DATE)
    start, end = posting_window(scheme_year)
    if not start <= value <= end:
        raise invalid(
            field,
            f"日期 {value.isoformat()} 不在 {scheme_year} 互助年度的记账期间（{start.isoformat()} 至 {end.isoformat()}）内",
            Code.DATE_OUTSIDE_YEAR,
        )
    return value


def check_text(value, field: str, max_length: int, *, required: bool = False, label: str = "") -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise invalid(field, f"请填写{label or field}", Code.REQUIRED)
    if len(text) > max_length:
        raise invalid(field, f"{label or field}过长（不超过 {max_length} 字）", Code.INVALID)
    return text


def check_choice(value, field: str, allowed, code: Code, label: str) -> str:
    if value not in allowed:
        raise invalid(field, f"{label}不正确：{value!r}", code)
    return value
