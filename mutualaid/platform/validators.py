"""Validators for values people type: mobile numbers, division codes, and any text stored in a column."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(value: str, *, field: str = "phone", code: str = "invalid_phone") -> str:
    phone = re.sub(r"[\s-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _MOBILE.match(phone):
        raise ValidationError({field: ValidationError("手机号码格式不正确（应为 11 位手机号）", code=code)})
    return phone


# NUL (PostgreSQL refuses it) and lone surrogates (UTF-8 cannot encode them): never typed by a person.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def max_length_of(model, field_name: str) -> int:
    """The column's limit, so a check and its column cannot disagree."""
    return model._meta.get_field(field_name).max_length


def clean_text(
    value,
    *,
    field: str,
    max_length: int,
    label: str,
    too_long: str = "too_long",
    invalid_characters: str = "invalid_characters",
) -> str:
    """A typed text value, stripped; too long or holding NUL / a lone surrogate is a typed error on ``field``
    (never cut to fit: a truncated name or address is wrong data nobody notices)."""
    text = "" if value is None else str(value).strip()
    if _UNSTORABLE.search(text):
        raise ValidationError(
            {
                field: ValidationError(
                    f"{label}含有无法保存的字符（空字符或残缺的字符编码）", code=invalid_characters
                )
            }
        )
    if len(text) > max_length:
        raise ValidationError(
            {
                field: ValidationError(
                    f"{label}不能超过 {max_length} 个字符（现为 {len(text)} 个）", code=too_long
                )
            }
        )
    return text
