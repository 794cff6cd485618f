"""Encryption at rest and keyed look-up hashes for personal data (ID numbers, phone numbers).

Values are stored as AES-256-GCM tokens: ``v2.`` then base64url(96-bit random nonce | ciphertext | tag), under
a key derived (HKDF-SHA256) from ``FIELD_ENCRYPTION_KEY``. Tokens written before that (Fernet, ``gAAAA…``) are
still read. Equality look-ups and duplicate checks use an HMAC-SHA256 of the normalised value under a separate
key, so the database alone reveals neither. Both are cheap enough for roster imports of 100,000 members
(bench/roster_import.py): one AES-GCM call a value, and HMAC from precomputed key states.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "v2."
_NONCE = 12


@cache
def _aead() -> AESGCM:
    secret = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEY.encode())
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mutualaid field encryption v2")
    return AESGCM(hkdf.derive(secret))


@cache
def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())


def encrypt(value: str) -> str:
    return encrypt_many([value])[0]


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Tokens for ``values``, in order (one random draw for all the nonces)."""
    aead, nonces = _aead(), os.urandom(_NONCE * len(values))
    tokens = []
    for i, value in enumerate(values):
        nonce = nonces[i * _NONCE : (i + 1) * _NONCE]
        sealed = nonce + aead.encrypt(nonce, value.encode(), None)
        tokens.append(_PREFIX + base64.urlsafe_b64encode(sealed).decode())
    return tokens


def decrypt(token: str) -> str:
    """The value of a token; raises ``cryptography.exceptions.InvalidTag`` (or Fernet's ``InvalidToken``) when
    it was altered or made under another key."""
    if token.startswith(_PREFIX):
        sealed = base64.urlsafe_b64decode(token[len(_PREFIX) :])
        return _aead().decrypt(sealed[:_NONCE], sealed[_NONCE:], None).decode()
    return _fernet().decrypt(token.encode()).decode()


# Files at rest (roster uploads, error reports, claim documents): a magic prefix, a nonce, AES-256-GCM with a key
# derived from the same FIELD_ENCRYPTION_KEY under its own label.
FILE_MAGIC = b"MAFILE1\n"


@cache
def _file_aead() -> AESGCM:
    secret = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEY.encode())
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mutualaid file encryption v1")
    return AESGCM(hkdf.derive(secret))


def encrypt_bytes(data: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return FILE_MAGIC + nonce + _file_aead().encrypt(nonce, data, FILE_MAGIC)


def decrypt_bytes(blob: bytes) -> bytes:
    """The plain content of ``encrypt_bytes``' output; content without the prefix (stored before files were
    encrypted) is returned as it is. Raises ``InvalidTag`` when altered or made under another key."""
    if not blob.startswith(FILE_MAGIC):
        return blob
    sealed = blob[len(FILE_MAGIC) :]
    return _file_aead().decrypt(sealed[:_NONCE], sealed[_NONCE:], FILE_MAGIC)


@cache
def _lookup_states() -> tuple:
    """SHA-256 states after HMAC's inner and outer key blocks (RFC 2104), copied per value: half the cost of
    ``hmac.new`` each time."""
    key = settings.LOOKUP_HASH_KEY.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 (hex) of the stripped, upper-cased value."""
    return lookup_hasher()(value.strip().upper())


def lookup_hasher() -> Callable[[str], str]:
    """``lookup_hash`` for values already stripped and upper-cased (a roster import hashes 180,000 of them)."""
    inner_state, outer_state = _lookup_states()
    copy_inner, copy_outer = inner_state.copy, outer_state.copy

    def hashed(value: str) -> str:
        inner, outer = copy_inner(), copy_outer()
        inner.update(value.encode())
        outer.update(inner.digest())
        return outer.hexdigest()

    return hashed


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "****"


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张* (public outputs never show full names)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
