"""Group a CSV file of stays (``mutualaid drg group``): pure, a grouper in, rows out.

IN.csv has a header row with the columns ``id,sex,age,age_days,weight,dept,los,leaving_type,diagnoses,procedures``
(sex 1 male / 2 female; ``diagnoses`` and ``procedures`` are ``|``-separated codes, the first diagnosis is the
principal one, the first procedure the principal one; any field but ``id`` and ``diagnoses`` may be empty or
missing). OUT.csv has exactly the columns ``id,mdc,adrg,drg,status,reasons``: ``status`` is ``ok`` or the typed
refusal code (``drg`` is then ``0000``), ``reasons`` the grouping path joined by ``；``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.exceptions import ValidationError

from mutualaid.drg.error_codes import DrgGroupErrorCode as Code
from mutualaid.drg.grouper import UNGROUPED, Grouper, check_stay
from mutualaid.platform.spreadsheets import safe_row

IN_COLUMNS = (
    "id",
    "sex",
    "age",
    "age_days",
    "weight",
    "dept",
    "los",
    "leaving_type",
    "diagnoses",
    "procedures",
)
OUT_COLUMNS = ("id", "mdc", "adrg", "drg", "status", "reasons")
REQUIRED_COLUMNS = ("id", "diagnoses")
_CODES = re.compile(r"[|,;，；\s]+")
# GB/T 2261.1: 1 男, 2 女, 0 未知, 9 未说明 (the last two group as a stay of unknown sex).
_SEXES = {"1": 1, "2": 2, "男": 1, "女": 2, "M": 1, "F": 2, "m": 1, "f": 2, "0": None, "9": None}
_LABELS = {"sex": "性别", "age": "年龄", "age_days": "年龄（天）", "weight": "出生体重", "los": "住院天数"}


class GroupFileError(ValueError):
    """A file that cannot be read as stays (wrong encoding, missing columns); the message is in Chinese."""


def read_text(path: Path) -> str:
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GroupFileError(f"文件 {Path(path).name} 既不是 UTF-8 也不是 GBK 编码")


def _number(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{_LABELS[field]}“{value}”不是数字") from None
    if number < 0 or number != number:
        raise ValueError(f"{_LABELS[field]}“{value}”不能为负数")
    return int(number)


def parse_row(row: dict[str, str]) -> dict:
    """A CSV row as the keyword arguments of ``Grouper.group``; raises ``ValueError`` (message in Chinese)."""
    sex_text = (row.get("sex") or "").strip()
    if sex_text.endswith(".0"):
        sex_text = sex_text[:-2]
    if sex_text and sex_text not in _SEXES:
        raise ValueError(f"性别“{sex_text}”应为 1（男）或 2（女）")
    sex = _SEXES.get(sex_text)
    return {
        "sex": sex,
        "age": _number(row.get("age") or "", "age"),
        "age_days": _number(row.get("age_days") or "", "age_days"),
        "weight": _number(row.get("weight") or "", "weight"),
        "los": _number(row.get("los") or "", "los"),
        "leaving_type": (row.get("leaving_type") or "").strip() or None,
        "diagnoses": [c for c in _CODES.split(row.get("diagnoses") or "") if c],
        "procedures": [c for c in _CODES.split(row.get("procedures") or "") if c],
    }


def read_stays(text: str) -> tuple[int, Iterator[dict[str, str]]]:
    """The number of data rows and an iterator over them; raises ``GroupFileError`` for a wrong header."""
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise GroupFileError(
            f"缺少列：{'、'.join(missing)}（表头应为 {','.join(IN_COLUMNS)}）"
            if header
            else f"文件为空（表头应为 {','.join(IN_COLUMNS)}）"
        )
    reader.fieldnames = header
    total = max(text.count("\n") - 1 + (0 if text.endswith("\n") else 1), 0)
    return total, reader


def group_rows(
    grouper: Grouper,
    rows: Iterator[dict[str, str]],
    out,
    *,
    on_progress: Callable[[int], None] | None = None,
    every: int = 1000,
) -> dict[str, int]:
    """Group every row and write OUT.csv rows to the text stream ``out``; returns counts by status."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    counts: dict[str, int] = {}
    group = grouper.group
    done = 0
    for row in rows:
        stay_id = (row.get("id") or "").strip()
        try:
            stay = parse_row(row)
            check_stay(stay)
        except ValidationError as exc:
            status = Code.INVALID_VALUE.value
            line = (stay_id, "", "", UNGROUPED, status, "；".join(exc.messages))
        except ValueError as exc:
            status = Code.INVALID_VALUE.value
            line = (stay_id, "", "", UNGROUPED, status, str(exc))
        else:
            result = group(**stay)
            status = result.status
            line = (stay_id, result.mdc, result.adrg, result.drg, status, "；".join(result.reasons))
        writer.writerow(safe_row(line))
        counts[status] = counts.get(status, 0) + 1
        done += 1
        if on_progress is not None and done % every == 0:
            on_progress(done)
    if on_progress is not None:
        on_progress(done)
    return counts
