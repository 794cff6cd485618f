"""Money is integer fen (分) everywhere in code and storage; the API shows yuan as decimal strings ("45.00").

Amounts typed by people (API inputs, uploaded tables) have one format: ASCII digits, an optional minus sign where
negatives are allowed, and at most two decimals after a point (``45``, ``45.5``, ``45.50``). Thousands separators
are either absent or ASCII commas at every third digit (``1,000.00``, ``12,345``); ``1,0,0``, full-width or other
scripts' digits, spaces inside, exponents, ``.5`` and ``45.`` are refused with the typed error ``invalid_amount``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

# 100 million yuan: anything above is a typing error, not a rural mutual-aid amount.
MAX_FEN = 100_000_000 * 100
_YUAN = re.compile(r"-?(?:[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})?", re.ASCII)
FORMAT_HINT = "数字，最多两位小数，千分位逗号可省略，如 45、45.50、1,000.00"


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
    """Parse a yuan amount typed by a person ('45', '45.5', '45.50', '1,000.00') into fen, refusing floats'
    surprises and anything outside the one format (module docstring)."""
    text = str(value).strip()
    if isinstance(value, float | bool) or not _YUAN.fullmatch(text):
        raise ValidationError(
            {field: ValidationError(f"金额格式不正确：{str(value)[:40]}（{FORMAT_HINT}）", code=code)}
        )
    text = text.replace(",", "")
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
