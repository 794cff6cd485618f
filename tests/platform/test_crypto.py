"""Personal data at rest: AES-GCM tokens, the Fernet tokens written before them, and the keyed look-up hash."""

import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings

from mutualaid.platform import crypto


def test_a_value_comes_back_from_its_token_and_no_two_tokens_are_alike():
    tokens = crypto.encrypt_many(["50022319800101123X", "13912345678", "50022319800101123X"])
    assert [crypto.decrypt(t) for t in tokens] == ["50022319800101123X", "13912345678", "50022319800101123X"]
    assert tokens[0] != tokens[2]  # a fresh nonce each time
    assert all(t.startswith("v2.") and "5002231980" not in t for t in tokens)
    assert crypto.decrypt(crypto.encrypt("张三")) == "张三"


def test_tokens_written_before_aes_gcm_still_read():
    legacy = crypto._fernet().encrypt(b"13800000000").decode()
    assert legacy.startswith("gAAAA")
    assert crypto.decrypt(legacy) == "13800000000"


def test_an_altered_token_is_refused():
    token = crypto.encrypt("50022319800101123X")
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(InvalidTag):
        crypto.decrypt(altered)


def test_the_look_up_hash_is_hmac_sha256_of_the_normalised_value():
    expected = hmac.new(settings.LOOKUP_HASH_KEY.encode(), b"50022319800101123X", hashlib.sha256).hexdigest()
    assert crypto.lookup_hash(" 50022319800101123x ") == expected
