"""Sign-in throttling by account and client address together, with a growing delay (issue 22 item 6): an
attacker's wrong passwords from one address never lock the owner out from another, and the owner's own address
waits a doubling delay instead of a fixed lock; every failure stays recorded with its address."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client

from mutualaid.platform.accounts.backends import retry_after
from mutualaid.platform.accounts.models import LoginFailure, User
from tests.platform.test_accounts import TOKEN_CREATE

PASSWORD = "correct horse battery"


def _sign_in(password: str, address: str) -> dict:
    body = json.dumps({"query": TOKEN_CREATE, "variables": {"u": "admin", "p": password}})
    response = Client(REMOTE_ADDR=address).post("/graphql/", body, content_type="application/json")
    return response.json()["data"]["tokenCreate"]


def _admin(db) -> User:
    user = User.objects.create(username="admin")
    user.set_password(PASSWORD)
    user.save()
    return user


def _age_failures(seconds: float) -> None:
    for failure in LoginFailure.objects.all():
        LoginFailure.objects.filter(pk=failure.pk).update(at=failure.at - timedelta(seconds=seconds))


def test_an_attackers_failures_do_not_lock_the_owner_out_from_another_address(db, settings):
    _admin(db)
    for _ in range(settings.LOGIN_FAILURE_LIMIT * 3):
        _sign_in("guess", "203.0.113.9")
    assert _sign_in("guess", "203.0.113.9")["errors"][0]["code"] == "THROTTLED"
    owner = _sign_in(PASSWORD, "198.51.100.7")
    assert owner["errors"] == [] and owner["accessToken"]


def test_failures_are_recorded_with_their_address(db, settings):
    _admin(db)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in("guess", "203.0.113.9")
    assert list(LoginFailure.objects.values_list("username", "ip_address").distinct()) == [
        ("admin", "203.0.113.9")
    ]


def test_the_same_address_waits_a_growing_delay_not_a_fixed_lock(db, settings):
    settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS = 30
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 900
    _admin(db)
    address = "198.51.100.7"
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in("typo", address)
    first_wait = retry_after("admin", address)
    assert 0 < first_wait <= 30
    assert _sign_in(PASSWORD, address)["errors"][0]["code"] == "THROTTLED"  # even the right password waits

    _age_failures(31)  # the delay has passed: one more try is allowed
    assert _sign_in("typo again", address)["errors"][0]["code"] == "INVALID_CREDENTIALS"
    second_wait = retry_after("admin", address)
    assert 30 < second_wait <= 60  # doubled

    _age_failures(61)
    owner = _sign_in(PASSWORD, address)
    assert owner["errors"] == [] and owner["accessToken"]


def test_the_delay_is_capped(db, settings):
    settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS = 30
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 120
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 100_000
    _admin(db)
    LoginFailure.objects.bulk_create(
        LoginFailure(username="admin", ip_address="198.51.100.7")
        for _ in range(settings.LOGIN_FAILURE_LIMIT + 20)
    )
    assert 0 < retry_after("admin", "198.51.100.7") <= 120
