"""Batch sealing of personal data for roster imports: the same tokens and hashes as
``mutualaid.platform.crypto.encrypt`` / ``lookup_hash``, many at a time.

``crypto.encrypt`` costs about 19 µs a value (a new Cipher, padder and HMAC object per call), which alone caps an
import of 100,000 members (two values each) near 25,000 rows/s. ``encrypt_many`` produces standard Fernet tokens
(version 0x80 | timestamp | random IV | AES-128-CBC ciphertext | HMAC-SHA256, base64url, see the Fernet spec)
for a whole batch: CBC is computed block-column by block-column with one AES-ECB pass per column over every value
of the batch (C₁ = E(P₁ ⊕ IV), C₂ = E(P₂ ⊕ C₁), …), which is CBC exactly; IVs come from one os.urandom call.
``crypto.decrypt`` reads the tokens (tests check the round trip); nothing else in the platform changes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from collections.abc import Sequence
from functools import cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

_BLOCK = 16


@cache
def _keys() -> tuple[bytes, bytes]:
    key = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEY.encode())
    return key[:16], key[16:]  # signing key, encryption key


@cache
def _lookup_states() -> tuple:
    return _states(settings.LOOKUP_HASH_KEY.encode())


def _states(key: bytes) -> tuple:
    """SHA-256 states after the inner and outer HMAC key blocks (RFC 2104), copied per message."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def _hmac(states: tuple, message: bytes) -> bytes:
    inner, outer = states[0].copy(), states[1].copy()
    inner.update(message)
    outer.update(inner.digest())
    return outer.digest()


def lookup_hash(value: str) -> str:
    """Exactly ``crypto.lookup_hash`` (HMAC-SHA256 of the stripped, upper-cased value, hex), from precomputed
    key states (about twice as fast as ``hmac.new`` per value)."""
    return _hmac(_lookup_states(), value.strip().upper().encode()).hex()


@cache
def _hmac_states() -> tuple:
    return _states(_keys()[0])


def _pad(data: bytes) -> bytes:
    """PKCS7 to the AES block size."""
    n = _BLOCK - len(data) % _BLOCK
    return data + bytes([n]) * n


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Fernet tokens of ``values`` (same order); equivalent to ``[crypto.encrypt(v) for v in values]``."""
    if not values:
        return []
    encryption_key = _keys()[1]
    states = _hmac_states()
    encryptor = Cipher(algorithms.AES(encryption_key), modes.ECB()).encryptor()  # CBC is built below
    header_time = struct.pack(">Q", int(time.time()))
    ivs = os.urandom(_BLOCK * len(values))
    tokens: list[str | None] = [None] * len(values)
    # Group values by padded length so that each block column is one AES call over the group.
    groups: dict[int, list[int]] = {}
    padded: list[bytes] = []
    for i, value in enumerate(values):
        data = _pad(value.encode())
        padded.append(data)
        groups.setdefault(len(data), []).append(i)
    for length, indexes in groups.items():
        count = len(indexes)
        previous = b"".join(ivs[i * _BLOCK : (i + 1) * _BLOCK] for i in indexes)
        columns: list[bytes] = []
        for offset in range(0, length, _BLOCK):
            plain = b"".join(padded[i][offset : offset + _BLOCK] for i in indexes)
            mixed = (int.from_bytes(plain, "big") ^ int.from_bytes(previous, "big")).to_bytes(
                count * _BLOCK, "big"
            )
            previous = encryptor.update(mixed)
            columns.append(previous)
        for n, i in enumerate(indexes):
            ciphertext = b"".join(column[n * _BLOCK : (n + 1) * _BLOCK] for column in columns)
            basic = b"\x80" + header_time + ivs[i * _BLOCK : (i + 1) * _BLOCK] + ciphertext
            tokens[i] = base64.urlsafe_b64encode(basic + _hmac(states, basic)).decode()
    return tokens  # type: ignore[return-value]
