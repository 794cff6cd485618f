"""The period of an invited grant (people.check_period): only the auditor role holds one, and it needs its last
day; the first day defaults to today and may be at most a month back; the last is not before the first, not
past, and at most three years on. Each refusal is a typed error on its field."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mutualaid.platform.accounts.people import check_period
from mutualaid.platform.accounts.roles import Role


def refusal(role, valid_from, valid_until) -> tuple[str, str]:
    with pytest.raises(ValidationError) as refused:
        check_period(role, valid_from, valid_until)
    field, errors = next(iter(refused.value.error_dict.items()))
    return field, errors[0].code


def test_an_auditors_period():
    today = timezone.localdate()
    assert check_period(Role.AUDITOR, None, today + timedelta(days=90)) == (today, today + timedelta(days=90))
    start = today - timedelta(days=20)
    assert check_period(Role.AUDITOR, start, today) == (start, today)
    assert refusal(Role.AUDITOR, today, None) == ("valid_until", "period_required")
    assert refusal(Role.AUDITOR, today + timedelta(days=2), today + timedelta(days=1)) == (
        "valid_until",
        "period_reversed",
    )
    assert refusal(Role.AUDITOR, today - timedelta(days=365), today) == ("valid_from", "invalid_date")
    assert refusal(Role.AUDITOR, today - timedelta(days=10), today - timedelta(days=1)) == (
        "valid_until",
        "invalid_date",
    )
    assert refusal(Role.AUDITOR, today, today + timedelta(days=4 * 365)) == ("valid_until", "invalid_date")


def test_other_roles_hold_no_period():
    today = timezone.localdate()
    assert check_period(Role.TOWN_FINANCE, None, None) == (None, None)
    assert refusal(Role.TOWN_FINANCE, today, None) == ("valid_from", "period_not_allowed")
    assert refusal(Role.COUNTY_BUREAU, None, today) == ("valid_until", "period_not_allowed")
