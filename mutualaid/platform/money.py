"""Money is integer fen (分) everywhere in code and storage; the API shows yuan as decimal strings ("45.00")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

# 100 million yuan: anything above is a typing error, not a rural mutual-aid amount.
MAX_FEN = 100_000_000 * 100
_YUAN = re.compile(r"^-?\d+(\.\d{1,2})?$")


def fen_to_yuan(fen: int) -> str:
    """12345 → '123.45'; -5 → '-0.05'."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(
    value: str | int | Decimal,
    *,
    field: str = "amount",
    allow_negative: bool = False,
    allow_zero: bool = True,
    code: str = "invalid_amount",
) -> int:
    """Parse a yuan amount typed by a person ('45', '45.5', '45.50') into fen, refusing floats' surprises."""
    text = str(value).strip().replace(",", "")
    if isinstance(value, float) or not _YUAN.match(text):
        raise ValidationError({field: ValidationError(f"金额格式不正确：{value}（最多两位小数）", code=code)})
    try:
        fen = int((Decimal(text) * 100).to_integral_exact())
    except InvalidOperation as exc:  # pragma: no cover - guarded by the pattern
        raise ValidationError({field: ValidationError(f"金额格式不正确：{value}", code=code)}) from exc
    if fen < 0 and not allow_negative:
        raise ValidationError({field: ValidationError("金额不能为负数", code=code)})
    if fen == 0 and not allow_zero:
        raise ValidationError({field: ValidationError("金额必须大于零", code=code)})
    if abs(fen) > MAX_FEN:
        raise ValidationError({field: ValidationError("金额超出合理范围（不超过 1 亿元）", code=code)})
    return fen
