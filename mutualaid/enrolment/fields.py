"""Parsing the values people type in rosters (pure): relations, insurance types, hardship categories, dates.
Each parser returns the stored value or raises ``FieldProblem(code, message)``."""

from __future__ import annotations

import re
from datetime import date, datetime

from mutualaid.enrolment.models import InsuranceType, Relation
from mutualaid.policies.terms import HardshipCategory


class FieldProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _aliases(choices, extra: dict[str, str]) -> dict[str, str]:
    table = {value: value for value in choices.values}
    table |= {str(label): value for value, label in choices.choices}
    table |= extra
    return {key.strip().lower(): value for key, value in table.items()}


RELATIONS = _aliases(
    Relation,
    {
        "本人": "head", "户主本人": "head", "妻": "spouse", "夫": "spouse", "妻子": "spouse", "丈夫": "spouse",
        "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child", "次子": "child",
        "三子": "child", "长女": "child", "次女": "child", "三女": "child", "养子": "child", "养女": "child",
        "儿媳": "child_in_law", "女婿": "child_in_law", "孙子": "grandchild", "孙女": "grandchild",
        "外孙子": "grandchild", "外孙女": "grandchild", "父亲": "parent", "母亲": "parent", "父": "parent",
        "母": "parent", "祖父": "grandparent", "祖母": "grandparent", "外祖父": "grandparent",
        "外祖母": "grandparent", "兄": "sibling", "弟": "sibling", "姐": "sibling", "妹": "sibling",
        "哥哥": "sibling", "弟弟": "sibling", "姐姐": "sibling", "妹妹": "sibling",
    },
)  # fmt: skip
INSURANCE = _aliases(
    InsuranceType,
    {
        "居民": "resident", "居民医保": "resident", "城乡居民": "resident", "城乡居民基本医疗保险": "resident",
        "新农合": "resident", "职工": "employee", "职工医保": "employee", "城镇职工": "employee",
        "城镇职工基本医疗保险": "employee", "无": "none", "未参保": "none", "未参加": "none",
        "中断职工医保": "none", "未参加基本医保或中断职工医保": "none",
    },
)  # fmt: skip
HARDSHIP = _aliases(
    HardshipCategory,
    {
        "低保": "dibao", "低保户": "dibao", "特困": "tekun", "特困人员": "tekun", "五保": "tekun",
        "低保边缘": "low_income", "低收入": "low_income", "农村低收入人口": "low_income",
        "监测对象": "monitored", "防返贫监测对象": "monitored", "孤儿": "orphan", "事实无人抚养儿童": "orphan",
        "重残": "severe_disability", "重度残疾": "severe_disability",
    },
)  # fmt: skip
_SPLIT = re.compile(r"[、,，;；/\s|]+")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def relation(value) -> str:
    text = str(value or "").strip().lower()
    if not text:
        raise FieldProblem("required", "请填写与户主关系")
    found = RELATIONS.get(text)
    if found is None:
        raise FieldProblem(
            "invalid_choice", f"与户主关系“{value}”无法识别（如：户主、配偶、子女、父母、孙子女）"
        )
    return found


def insurance(value) -> str:
    text = str(value or "").strip().lower()
    if not text:
        raise FieldProblem("required", "请填写基本医保类型（城乡居民医保、城镇职工医保或无）")
    found = INSURANCE.get(text)
    if found is None:
        raise FieldProblem(
            "invalid_choice", f"基本医保类型“{value}”无法识别（城乡居民医保、城镇职工医保或无）"
        )
    return found


def hardship(value) -> list[str]:
    text = str(value or "").strip()
    if not text or text in ("无", "否", "-"):
        return []
    result: list[str] = []
    for part in _SPLIT.split(text):
        if not part:
            continue
        found = HARDSHIP.get(part.lower())
        if found is None:
            raise FieldProblem("invalid_choice", f"困难类别“{part}”无法识别（如：低保对象、特困供养人员）")
        if found not in result:
            result.append(found)
    return result


# No date a person types into a roster or form is older than this (registration, decisions, receipts).
EARLIEST = date(1900, 1, 1)


def a_date(value, *, today: date | None = None, label: str = "日期") -> date:
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = str(value or "").strip()
        if not text:
            raise FieldProblem("required", f"请填写{label}")
        found = None
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    found = date(*(int(g) for g in match.groups()))
                except ValueError:
                    found = None
                break
        if found is None:
            raise FieldProblem("invalid_date", f"{label}“{text}”格式不正确（如 2020-03-15）")
    assert found is not None  # every branch above either found a date or raised
    if found < EARLIEST:
        raise FieldProblem("invalid_date", f"{label}早于 {EARLIEST.year} 年")
    if found > (today or date.today()):
        raise FieldProblem("invalid_date", f"{label}晚于今天")
    return found
