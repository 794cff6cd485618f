"""Resident ID numbers (公民身份号码, GB 11643-1999): validation, birth date and sex, masking. Pure, no database.

An ID number has 18 characters: a 6-digit region code (the first two digits a province), an 8-digit birth date,
a 3-digit sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError

# GB/T 2260 province-level codes (the first two digits of every region code).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
        "21", "22", "23",  # 辽宁 吉林 黑龙江
        "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
        "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
        "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
        "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
        "71", "81", "82",  # 台湾 香港 澳门
    }
)  # fmt: skip
_CHECK = "10X98765432"
EARLIEST_BIRTH = date(1880, 1, 1)


@dataclass(frozen=True)
class IdNumber:
    value: str  # normalised: 18 characters, upper-case X
    birth_date: date
    sex: str  # "M" / "F"

    @property
    def region_code(self) -> str:
        return self.value[:6]


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits.

    The weights are 2^(17-i) mod 11, and 13 ≡ 2 (mod 11), so the weighted sum is 2 × (the digits read in base 13)
    modulo 11: one int() call instead of seventeen multiplications (roster imports check 100,000 at a time)."""
    return _CHECK[2 * int(first17, 13) % 11]


def problem(value: str, today: date | None = None) -> tuple[str, str] | None:
    """(code, message) for an invalid ID number, None for a valid one. Codes: invalid_id_number_length,
    invalid_id_number_format, invalid_id_number_region, invalid_id_number_birth_date, invalid_id_number_check."""
    text = (value or "").strip().upper()
    if len(text) != 18:
        return "invalid_id_number_length", f"身份证号应为 18 位，实际为 {len(text)} 位"
    first17 = text[:17]
    if not (first17.isascii() and first17.isdigit() and text[17] in "0123456789X"):
        return "invalid_id_number_format", "身份证号只能由数字组成，最后一位可以是 X"
    if text[:2] not in PROVINCE_CODES:
        return "invalid_id_number_region", f"身份证号前两位 {text[:2]} 不是有效的省级行政区划代码"
    born = birth_date(text)
    if born is None:
        return "invalid_id_number_birth_date", "身份证号中的出生日期不存在"
    if born < EARLIEST_BIRTH or born > (today or date.today()):
        return "invalid_id_number_birth_date", "身份证号中的出生日期不合理（晚于今天或过早）"
    if check_character(first17) != text[17]:
        return "invalid_id_number_check", "身份证号校验位不正确，请核对"
    return None


class ProblemFinder:
    """``problem`` for the many ID numbers of a roster: the region and birth date are checked once for each distinct
    first 14 characters, so a number whose head was already found valid needs only its last four checked."""

    def __init__(self, today: date | None = None):
        self.today = today
        self._valid_heads: set[str] = set()

    def __call__(self, text: str) -> tuple[str, str] | None:
        head = text[:14]
        if head in self._valid_heads and len(text) == 18:
            tail = text[14:17]
            if tail.isascii() and tail.isdigit() and _CHECK[2 * int(text[:17], 13) % 11] == text[17]:
                return None
        found = problem(text, self.today)
        if found is None:
            self._valid_heads.add(head)
        return found


def birth_date(text: str) -> date | None:
    """The birth date in an 18-character ID number whose digits are checked; None when no such day exists."""
    return _date_of(text[6:14])


@lru_cache(maxsize=1 << 16)  # a roster's birth dates repeat: a day's date is built once
def _date_of(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def parse(value: str, *, field: str = "idNumber", today: date | None = None) -> IdNumber:
    """The normalised ID number with birth date and sex, or ValidationError({field: ... code=...})."""
    found = problem(value, today)
    if found is not None:
        code, message = found
        raise ValidationError({field: ValidationError(message, code=code)})
    text = value.strip().upper()
    born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    return IdNumber(text, born, "M" if int(text[16]) % 2 else "F")


def is_valid(value: str, today: date | None = None) -> bool:
    return problem(value, today) is None


def mask(value: str) -> str:
    """320685198001011234 → 320***********1234 (the first three and last four characters)."""
    text = (value or "").strip().upper()
    if len(text) < 8:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def make(region_code: str, birth_date: date, sequence: int) -> str:
    """A valid ID number (for demo data and tests): region, birth date, 3-digit sequence, check character."""
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_character(first17)
