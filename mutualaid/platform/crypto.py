"""Encryption at rest and keyed look-up hashes for personal data (ID numbers, phone numbers).

Values are stored Fernet-encrypted; equality look-ups and duplicate checks use an HMAC-SHA256 of the normalised
value under a separate key, so the database alone reveals neither.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    key = settings.LOOKUP_HASH_KEY.encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "****"


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张* (public outputs never show full names)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
