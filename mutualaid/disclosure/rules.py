"""Pure rules of disclosures (no database): months, age bands, objection windows and inputs, and the privacy scan
every public output passes."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError

from mutualaid.disclosure.error_codes import DisclosureErrorCode as Code
from mutualaid.platform.money import fen_to_yuan

REASON_MAX = 500  # characters of an objection's reason
ANSWER_MAX = 2000
CHANGES_MAX = 500
# Rate limits: objections per phone (or signed-in user) and per address within a day; codes per phone per hour.
OBJECTIONS_PER_PHONE_PER_DAY = 3
OBJECTIONS_PER_ADDRESS_PER_DAY = 10
CODES_PER_PHONE_PER_HOUR = 3
CODES_PER_ADDRESS_PER_HOUR = 10
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
DEFAULT_OBJECTION_DAYS = 7
ANONYMOUS_DONOR = "爱心人士"
AGE_BANDS = ((0, 17), (18, 39), (40, 59), (60, 69), (70, 79))
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def invalid(field: str, message: str, code: Code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def next_month(month: date) -> date:
    return (month_start(month) + timedelta(days=32)).replace(day=1)


def previous_month(month: date) -> date:
    return month_start(month_start(month) - timedelta(days=1))


def parse_month(text: str) -> date:
    """'2022-09' → date(2022, 9, 1); anything else is an ``invalid_month`` error."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise invalid("month", "月份格式应为 YYYY-MM", Code.INVALID_MONTH)
    return date(int(match.group(1)), int(match.group(2)), 1)


def check_month_over(month: date, today: date) -> date:
    month = month_start(month)
    if next_month(month) > today:
        raise invalid("month", "月份尚未结束，不能生成公示", Code.INVALID_MONTH)
    return month


def age_band(birth: date, on: date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}岁"
    return "80岁及以上"


def objection_until(published_on: date, days: int) -> date:
    return published_on + timedelta(days=days)


def check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise invalid("reason", "请填写异议理由", Code.REQUIRED)
    if len(text) > REASON_MAX:
        raise invalid("reason", f"异议理由不超过 {REASON_MAX} 字", Code.REASON_TOO_LONG)
    return text


def check_text(value: str, field: str, limit: int, label: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise invalid(field, f"请填写{label}", Code.REQUIRED)
    if len(text) > limit:
        raise invalid(field, f"{label}不超过 {limit} 字", Code.INVALID)
    return text


# The claim's states the objection handling tells apart (the claims domain's values, as plain strings: no DB).
REVIEW_FLOW_STATES = frozenset({"submitted", "in_review", "more_info", "resubmitted"})
PAID_STATES = frozenset({"paid", "recovered"})


def claim_result(state: str, amount_fen: int | None) -> str:
    """The real state of an objected claim, as the next disclosure publishes it beside the outcome."""
    if state == "approved" or state == "in_batch":
        return f"审核通过，核定补助 {fen_to_yuan(amount_fen or 0)} 元"
    if state == "rejected":
        return "不予补助"
    if state == "paid":
        return f"补助 {fen_to_yuan(amount_fen or 0)} 元已发放"
    if state == "recovered":
        return "补助已追回"
    if state in REVIEW_FLOW_STATES:
        return "重新审核中"
    return "—"


def next_step(objection_state: str, claim_state: str | None) -> str:
    """What the objection's handling waits for, in words for the town admin and the firm's reviewer."""
    if objection_state == "open":
        if claim_state in PAID_STATES:
            return "待服务机构核查答复（该补助已发放：如查实系骗取补助，由镇农业服务中心办理追回）"
        return "待服务机构核查答复（维持原审核结论或退回重新审核）"
    if objection_state == "reopened":
        if claim_state == "paid":
            return (
                "该补助已发放，不能退回重新审核：如查实系骗取补助，请镇农业服务中心办理追回（recoverClaim），"
                "追回后由服务机构登记处理结果"
            )
        if claim_state in REVIEW_FLOW_STATES:
            return "重新审核中：请服务机构作出审核决定后登记处理结果"
        return "重新审核已有结论：请服务机构登记处理结果，在下期公示"
    return ""


def check_phone(phone: str) -> str:
    text = re.sub(r"[\s-]", "", phone or "")
    if not MOBILE.match(text):
        raise invalid("phone", "请填写正确的 11 位手机号", Code.INVALID_PHONE)
    return text


# --- privacy scan --------------------------------------------------------------------------------------------------

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
BANK_CARD = re.compile(r"(?<!\d)\d{15,19}(?!\d)")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def privacy_findings(text: str, full_names: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """What a public output must never contain: an 18-digit ID number, a bank card number, a mobile number or
    one of ``full_names`` (unmasked names of members). Empty when clean."""
    found = [f"身份证号 {m}" for m in ID_NUMBER.findall(text)]
    found += [f"银行卡号 {m}" for m in BANK_CARD.findall(text) if not ID_NUMBER.fullmatch(m)]
    found += [f"手机号 {m}" for m in MOBILE_IN_TEXT.findall(text)]
    found += [f"姓名 {name}" for name in sorted(full_names) if len(name) >= 2 and name in text]
    return found
