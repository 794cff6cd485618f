"""Dates are range-checked against what they mean (issue 22 item 9): a household registration date is not before
1900 nor before the member's birth; a scheme year is a plausible year; a date at the API is within 1900–2200; a
cursor this API did not hand out is a typed error."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.enrolment import actions
from mutualaid.enrolment.models import Member
from mutualaid.graphql.core.values import parse_date
from mutualaid.platform.accounts.roles import Role
from tests.enrolment.conftest import id_number
from tests.enrolment.test_roster import _csv, _rows, _run
from tests.factories import graphql, make_user


def _add(household, registered_on, born=date(1970, 3, 5)):
    return actions.add_member(
        household, name="赵六", id_number=id_number("320685", born), relation="head", insurance_type="resident",
        registered_on=registered_on, actor=None,
    )  # fmt: skip


@pytest.mark.parametrize("registered_on", [date(1800, 1, 1), date(1899, 12, 31), "1800-01-01"])
def test_a_registration_date_before_1900_is_refused(in_xinsheng, build, registered_on):
    with pytest.raises(ValidationError) as exc:
        _add(build.household(build.village()), registered_on)
    assert exc.value.error_dict["registered_on"][0].code == "invalid_date"
    assert not Member.objects.exists()


def test_a_registration_date_before_the_members_birth_is_refused(in_xinsheng, build):
    household = build.household(build.village())
    with pytest.raises(ValidationError) as exc:
        _add(household, date(1970, 3, 4), born=date(1970, 3, 5))
    assert exc.value.error_dict["registered_on"][0].code == "invalid_date"
    assert "出生" in exc.value.error_dict["registered_on"][0].message
    assert _add(household, date(1970, 3, 5), born=date(1970, 3, 5)).registered_on == date(1970, 3, 5)


def test_roster_rows_registered_before_birth_or_1900_are_row_errors(in_xinsheng, build):
    village = build.village("500152116201", "天池村")
    rows = _rows(village.code)
    rows[0][8] = "1800-01-01"
    rows[1][8] = "1950-01-01"  # _id(1) was born in 1961
    job = _run("天池村.csv", _csv(rows))
    assert (job.created_count, job.error_count) == (len(rows) - 2, 2)


@pytest.mark.parametrize("value", [date(1800, 1, 1), "1899-12-31", "2201-01-01"])
def test_api_dates_outside_1900_2200_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        parse_date(value, "received_on")
    assert exc.value.error_dict["received_on"][0].code == "invalid_date"


@pytest.mark.parametrize("year", [-1, 0, 1899, 10_000])
def test_an_implausible_scheme_year_is_a_typed_error(dagong, year):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    result = graphql(admin, f"{{ fundSummary(schemeYear: {year}) {{ schemeYear }} }}", town=dagong)
    assert result["data"] is None or result["data"].get("fundSummary") is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["INVALID_INPUT"]
    assert result["errors"][0]["extensions"].get("field") == "schemeYear"


def test_a_bad_cursor_is_a_typed_error_not_ignored(dagong):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    result = graphql(admin, '{ households(first: 5, after: "garbage") { totalCount } }', town=dagong)
    assert [e["extensions"]["code"] for e in result["errors"]] == ["INVALID_PAGINATION"]
