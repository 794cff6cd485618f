"""Validators for values people type: mobile numbers, division codes."""

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
