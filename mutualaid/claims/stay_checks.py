"""The checks of a claim's stay as the applicant gives it (住院信息): dates, amounts that add up, hospital, cause, the
ICD codes against the 医保版 lists, the bank card, and the published scheme year that covers the admission with the
member enrolled in it. Each problem is a typed ``ValidationError`` keyed by the field, raised before anything is
written."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from mutualaid.claims import selectors
from mutualaid.claims.error_codes import ClaimErrorCode as Code
from mutualaid.claims.models import Cause, HospitalLevel
from mutualaid.drg.models import ListKind
from mutualaid.enrolment.models import Member
from mutualaid.platform.money import MAX_FEN, fen_to_yuan
from mutualaid.policies.selectors import policy_for_admission
from mutualaid.policies.values import InsuranceType

MAX_CODES = 20
_CARD = re.compile(r"[0-9]{12,19}")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9.+\-x×/]{1,31}")


def invalid(field: str, message: str, code: Code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


def _choice(data: dict, field: str, choices, label: str) -> str:
    value = data.get(field)
    if value in (None, ""):
        raise invalid(field, f"请选择{label}", Code.REQUIRED)
    if value not in choices:
        raise invalid(field, f"{label}不正确：{str(value)[:40]}", Code.INVALID_CHOICE)
    return value


def _bool(data: dict, field: str, label: str) -> bool:
    value = data.get(field)
    if not isinstance(value, bool):
        raise invalid(field, f"请填写{label}（是/否）", Code.REQUIRED)
    return value


def _date(data: dict, field: str, label: str) -> date:
    value = data.get(field)
    if value is None:
        raise invalid(field, f"请填写{label}", Code.REQUIRED)
    if not isinstance(value, date):
        raise invalid(field, f"{label}格式不正确", Code.INVALID_DATE)
    return value


def _fen(data: dict, field: str, label: str) -> int:
    value = data.get(field)
    if value is None:
        raise invalid(field, f"请填写{label}", Code.REQUIRED)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, f"{label}应为整数（分）", Code.INVALID_AMOUNT)
    if value < 0:
        raise invalid(field, f"{label}不能为负数", Code.INVALID_AMOUNT)
    if value > MAX_FEN:
        raise invalid(field, f"{label}超出合理范围（不超过 1 亿元）", Code.INVALID_AMOUNT)
    return value


def text_field(data: dict, field: str, label: str, max_length: int, *, required: bool) -> str:
    text = str(data.get(field) or "").strip()
    if required and not text:
        raise invalid(field, f"请填写{label}", Code.REQUIRED)
    if len(text) > max_length:
        raise invalid(field, f"{label}过长（不超过 {max_length} 字）", Code.TOO_LONG)
    return text


def _codes(data: dict, field: str, kind: str, label: str, *, required: bool) -> list[str]:
    raw = data.get(field) or []
    if isinstance(raw, str):
        raw = [raw]
    codes: list[str] = []
    for value in raw:
        code = selectors.normalise_code(value)
        if code and code not in codes:
            codes.append(code)
    if required and not codes:
        raise invalid(field, f"请填写{label}", Code.REQUIRED)
    if len(codes) > MAX_CODES:
        raise invalid(field, f"{label}最多 {MAX_CODES} 个", Code.TOO_LONG)
    bad = [c for c in codes if not _CODE.fullmatch(c)]
    if bad:
        raise invalid(field, f"{label}编码不正确：{'、'.join(bad[:5])}", Code.UNKNOWN_ICD_CODE)
    if codes:
        unknown = selectors.unknown_icd_codes(kind, codes)
        if unknown is None:
            raise invalid(field, "ICD 编码目录尚未导入，无法核对编码", Code.CATALOGUE_MISSING)
        if unknown:
            raise invalid(
                field, f"{label}编码不在 ICD 医保版目录中：{'、'.join(unknown[:5])}", Code.UNKNOWN_ICD_CODE
            )
    return codes


def bank_card(data: dict, field: str = "bank_card") -> str:
    card = re.sub(r"[\s-]", "", str(data.get(field) or ""))
    if not card:
        raise invalid(field, "请填写收款银行卡号", Code.REQUIRED)
    if not _CARD.fullmatch(card):
        raise invalid(field, "银行卡号应为 12 至 19 位数字", Code.INVALID_BANK_CARD)
    return card


def mask_card(card: str) -> str:
    return f"{card[:4]} **** **** {card[-4:]}"


def stay_fields(data: dict, member: Member) -> dict[str, Any]:
    """The checked fields of a claim (every one required), or the first problem as a typed error."""
    admission = _date(data, "admission_date", "入院日期")
    discharge = _date(data, "discharge_date", "出院日期")
    if discharge < admission:
        raise invalid("discharge_date", "出院日期早于入院日期", Code.DATES_REVERSED)
    if admission > selectors.today():
        raise invalid("admission_date", "入院日期晚于今天", Code.INVALID_DATE)
    if (discharge - admission).days > 366:
        raise invalid("discharge_date", "一次住院不超过一年，请核对日期", Code.INVALID_DATE)
    total = _fen(data, "total_cost_fen", "住院总费用")
    paid = _fen(data, "insurance_paid_fen", "医保报销金额")
    own = _fen(data, "out_of_pocket_fen", "个人支付金额")
    if total == 0:
        raise invalid("total_cost_fen", "住院总费用必须大于零", Code.INVALID_AMOUNT)
    if paid + own != total:
        raise invalid(
            "total_cost_fen",
            f"金额不一致：医保报销 {fen_to_yuan(paid)} 元 + 个人支付 {fen_to_yuan(own)} 元 ≠ 总费用 {fen_to_yuan(total)} 元",
            Code.AMOUNTS_DO_NOT_ADD_UP,
        )
    insurance_type = _choice(data, "insurance_type", InsuranceType.values, "入院时基本医保类型")
    if insurance_type == InsuranceType.NONE and paid:
        raise invalid(
            "insurance_paid_fen", "未参加基本医保的住院不应有医保报销金额", Code.AMOUNTS_DO_NOT_ADD_UP
        )
    fields = {
        "hospital_name": text_field(data, "hospital_name", "医院名称", 128, required=True),
        "hospital_level": _choice(data, "hospital_level", HospitalLevel.values, "医院等级"),
        "hospital_designated": _bool(data, "hospital_designated", "是否医保定点医院"),
        "hospital_mainland": _bool(data, "hospital_mainland", "是否境内医院"),
        "admission_date": admission,
        "discharge_date": discharge,
        "inpatient": _bool(data, "inpatient", "是否住院治疗"),
        "cause": _choice(data, "cause", Cause.values, "住院原因"),
        "insurance_type": insurance_type,
        "total_cost_fen": total,
        "insurance_paid_fen": paid,
        "out_of_pocket_fen": own,
        "diagnosis_codes": _codes(data, "diagnosis_codes", ListKind.DIAGNOSIS, "诊断", required=True),
        "procedure_codes": _codes(data, "procedure_codes", ListKind.PROCEDURE, "手术操作", required=False),
        "bank_name": text_field(data, "bank_name", "开户行", 64, required=False),
    }
    policy = policy_for_admission(admission)
    if policy is None:
        raise invalid(
            "admission_date",
            f"入院日期 {admission.isoformat()} 不在任何已发布互助年度的保障期内",
            Code.OUTSIDE_SCHEME_YEAR,
        )
    scheme_year = policy.scheme_year.year
    fields["scheme_year"] = scheme_year
    if not selectors.is_enrolled(member.pk, scheme_year):
        raise invalid("member", f"该成员未参加 {scheme_year} 互助年度", Code.NOT_ENROLLED)
    return fields
