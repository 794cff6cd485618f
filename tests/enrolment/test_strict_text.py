"""Text people type is checked, not cut (issue 22 item 8): a value over its column's limit is a typed ``too_long``
error, NUL or a lone surrogate a typed ``invalid_characters`` error — from the domain actions, so the API, the CLI
and the web console all get them — and nothing is stored."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.enrolment import actions
from mutualaid.enrolment.models import Household, Member, Village
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.validators import clean_text
from tests.enrolment.conftest import id_number
from tests.factories import graphql, make_user

HUGE = "张" * 100_000


def _code(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return {field: [error.code for error in errors] for field, errors in exc.value.error_dict.items()}


def test_the_central_validator():
    assert clean_text("  王五 ", field="name", max_length=4, label="姓名") == "王五"
    with pytest.raises(ValidationError) as too_long:
        clean_text("12345", field="name", max_length=4, label="姓名")
    assert _code(too_long) == {"name": ["too_long"]}
    assert "4" in too_long.value.error_dict["name"][0].message
    for bad in ("王\x00五", "王\ud800五"):
        with pytest.raises(ValidationError) as bad_characters:
            clean_text(bad, field="name", max_length=64, label="姓名")
        assert _code(bad_characters) == {"name": ["invalid_characters"]}


def test_a_too_long_member_name_is_refused_not_cut(in_xinsheng, build):
    household = build.household(build.village())
    with pytest.raises(ValidationError) as exc:
        actions.add_member(
            household, name=HUGE, id_number=id_number("320685"), relation="head", insurance_type="resident",
            registered_on=date(2010, 1, 1), actor=None,
        )  # fmt: skip
    assert _code(exc) == {"name": ["too_long"]}
    assert not Member.objects.exists()


def test_updating_a_member_name_is_checked_the_same_way(in_xinsheng, build):
    member = build.member(build.household(build.village()))
    for bad, code in ((HUGE, "too_long"), ("李\x00四", "invalid_characters")):
        with pytest.raises(ValidationError) as exc:
            actions.update_member(member, name=bad, actor=None)
        assert _code(exc) == {"name": [code]}
    member.refresh_from_db()
    assert member.name == "张三"


def test_household_address_and_village_name(in_xinsheng, build):
    village = build.village()
    with pytest.raises(ValidationError) as exc:
        actions.create_household(village, "H-LONG", address=HUGE, actor=None)
    assert _code(exc) == {"address": ["too_long"]}
    with pytest.raises(ValidationError) as exc:
        actions.create_village("320685101299", HUGE, actor=None)
    assert _code(exc) == {"name": ["too_long"]}
    with pytest.raises(ValidationError) as exc:
        actions.create_household(village, "H\ud83d", actor=None)
    assert _code(exc) == {"number": ["invalid_characters"]}
    assert not Household.objects.filter(number__startswith="H-LONG").exists()
    assert not Village.objects.filter(code="320685101299").exists()


def test_the_api_answers_a_typed_error_on_its_own_field(dagong):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    query = """mutation($name: String!) { createVillage(code: "320685107299", name: $name) {
      errors { field code } } }"""
    result = graphql(admin, query, {"name": "村" * 100_000}, town=dagong)
    assert result["data"]["createVillage"]["errors"] == [{"field": "name", "code": "TOO_LONG"}]
