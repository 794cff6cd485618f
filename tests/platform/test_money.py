"""Yuan amounts typed by people: one documented format, everything else a typed ``invalid_amount`` error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from mutualaid.platform.money import fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("45", 4500),
        ("45.5", 4550),
        ("45.50", 4550),
        ("0.01", 1),
        (" 100 ", 10000),
        ("1000", 100000),
        ("1,000", 100000),
        ("1,000.00", 100000),
        ("12,345,678.90", 1234567890),
        (100, 10000),
        (Decimal("7.25"), 725),
    ],
)
def test_accepts_digits_with_optional_two_decimals_and_well_placed_thousands_separators(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "1,0,0",  # separators out of place (was 100.00)
        "10,00",
        "1,00,000",
        ",100",
        "100,",
        "1,000,00",
        "1000,000",
        "１００",  # full-width digits
        "45．00",  # full-width point
        "1，000",  # full-width comma
        "٤٥",  # Arabic-Indic digits
        "45.123",
        ".5",
        "45.",
        "+45",
        "4 5",
        "1_000",
        "1e3",
        "NaN",
        "Infinity",
        "",
        "四十五",
        45.5,
    ],
)
def test_refuses_anything_else_with_a_typed_error(text):
    with pytest.raises(ValidationError) as caught:
        yuan_to_fen(text, field="amount")
    error = caught.value.error_dict["amount"][0]
    assert error.code == "invalid_amount"
    assert "元" in error.message or "金额" in error.message


def test_negative_amounts_only_when_allowed():
    assert yuan_to_fen("-1,000.50", allow_negative=True) == -100050
    with pytest.raises(ValidationError):
        yuan_to_fen("-5")


def test_round_trip():
    for fen in (0, 1, 99, 100, 4500, 123456789):
        assert yuan_to_fen(fen_to_yuan(fen)) == fen
