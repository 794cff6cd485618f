"""Enrolment by household for a scheme year, against the two documents' 2022 terms."""

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError

from mutualaid.enrolment import actions, rules
from mutualaid.enrolment.models import EnrolledMember, Enrolment
from mutualaid.enrolment_index.models import EnrolledPerson
from mutualaid.platform.audit.models import AuditEvent
from tests.enrolment.conftest import HAIAN_OPEN, SHANGHAI, XINSHENG_OPEN
from tests.factories import make_user


def _code(exc_info) -> str:
    return next(iter(exc_info.value.error_dict.values()))[0].code


@pytest.fixture
def admin(xinsheng):
    from mutualaid.platform.accounts.roles import Role

    return make_user(Role.TOWN_ADMIN, town=xinsheng)


def test_xinsheng_enrolment_opens_sep_29_and_closes_oct_31_24h(xinsheng_terms):
    assert not rules.window_is_open(xinsheng_terms, datetime(2022, 9, 28, 23, 59, 59, tzinfo=SHANGHAI))
    assert rules.window_is_open(xinsheng_terms, datetime(2022, 9, 29, 0, 0, tzinfo=SHANGHAI))
    assert rules.window_is_open(xinsheng_terms, datetime(2022, 10, 31, 23, 59, 59, tzinfo=SHANGHAI))
    assert not rules.window_is_open(xinsheng_terms, datetime(2022, 11, 1, 0, 0, tzinfo=SHANGHAI))


def test_xinsheng_no_enrolment_after_oct_31_24h(in_xinsheng, build, xinsheng_terms, admin):
    household = build.family(build.village(), size=2)
    with pytest.raises(ValidationError) as exc:
        actions.enrol_households(
            [household], xinsheng_terms, now=datetime(2022, 11, 1, 0, 0, 1, tzinfo=SHANGHAI), actor=admin
        )
    assert _code(exc) == "outside_enrolment_window"
    assert not Enrolment.objects.exists() and not EnrolledPerson.objects.exists()


def test_enrolment_is_by_whole_household(in_xinsheng, build, xinsheng_terms, admin):
    village = build.village()
    household = build.family(village, size=4)
    moved = build.member(household, relation="child", status="moved_out")
    late = build.member(household, relation="grandchild", registered_on=date(2022, 9, 1))  # after 31 Aug

    [enrolment] = actions.enrol_households([household], xinsheng_terms, now=XINSHENG_OPEN, actor=admin)

    joined = set(EnrolledMember.objects.filter(enrolment=enrolment).values_list("member_id", flat=True))
    on_register = set(
        household.members.filter(status="active", registered_on__lte=date(2022, 8, 31)).values_list(
            "id", flat=True
        )
    )
    assert joined == on_register and len(joined) == 4
    assert moved.pk not in joined and late.pk not in joined
    assert enrolment.member_count == 4 and enrolment.due_fen == 4 * 4500
    assert enrolment.due_by_source == {
        "person": 10000,
        "town_finance": 4000,
        "charity": 2000,
        "enterprise": 2000,
    }
    assert EnrolledPerson.objects.filter(town_code="500152116", scheme_year=2022).count() == 4


def test_xinsheng_dibao_person_share_paid_by_town(in_xinsheng, build, xinsheng_terms, admin):
    household = build.household(build.village())
    build.member(household, relation="head")
    dibao = build.member(household, relation="spouse", hardship=["dibao"])

    [enrolment] = actions.enrol_households([household], xinsheng_terms, now=XINSHENG_OPEN, actor=admin)

    share = EnrolledMember.objects.get(member=dibao).due_by_source
    assert share == {"town_finance": 3500, "charity": 500, "enterprise": 500}
    assert sum(share.values()) == 4500
    assert enrolment.due_by_source == {
        "person": 2500,
        "town_finance": 4500,
        "charity": 1000,
        "enterprise": 1000,
    }


def test_haian_six_hardship_categories_do_not_join(dagong, in_town, build, haian_terms):
    in_town(dagong)
    admin = make_user("town_admin", town=dagong)
    household = build.household(build.village())
    build.member(household, relation="head")
    low_income = build.member(household, relation="parent", hardship=["low_income"])
    only_dibao = build.household(build.village())
    build.member(only_dibao, relation="head", hardship=["dibao"])

    [enrolment] = actions.enrol_households([household], haian_terms, now=HAIAN_OPEN, actor=admin)
    assert enrolment.member_count == 1 and enrolment.due_fen == 10000
    assert enrolment.due_by_source == {"person": 5000, "town_finance": 2500, "village_collective": 2500}
    assert not EnrolledMember.objects.filter(member=low_income).exists()

    with pytest.raises(ValidationError) as exc:
        actions.enrol_households([only_dibao], haian_terms, now=HAIAN_OPEN, actor=admin)
    assert _code(exc) == "excluded_group"


def test_one_person_cannot_join_in_two_towns_the_same_year(dagong, yazhou, in_town, build, haian_terms):
    in_town(dagong)
    admin = make_user("town_admin", town=dagong)
    first = build.household(build.village())
    person = build.member(first)
    actions.enrol_households([first], haian_terms, now=HAIAN_OPEN, actor=admin)

    in_town(yazhou)
    second = build.household(build.village())
    build.member(second, number=person.plain_id_number)
    with pytest.raises(ValidationError) as exc:
        actions.enrol_households([second], haian_terms, now=HAIAN_OPEN, actor=admin)
    assert _code(exc) == "enrolled_elsewhere"
    assert not Enrolment.objects.exists()
    assert EnrolledPerson.objects.filter(town_code="320685109").count() == 0


def test_bulk_enrolment_is_all_or_nothing(in_xinsheng, build, xinsheng_terms, admin):
    village = build.village()
    households = [build.family(village, size=2) for _ in range(5)]
    empty = build.household(village)
    with pytest.raises(ValidationError) as exc:
        actions.enrol_households([*households, empty], xinsheng_terms, now=XINSHENG_OPEN, actor=admin)
    assert _code(exc) == "no_eligible_members"
    assert not Enrolment.objects.exists()

    enrolments = actions.enrol_households(households, xinsheng_terms, now=XINSHENG_OPEN, actor=admin)
    assert len(enrolments) == 5
    assert AuditEvent.objects.filter(action="enrolment.household.enrolled").count() == 5

    with pytest.raises(ValidationError) as exc:
        actions.enrol_households(households[:1], xinsheng_terms, now=XINSHENG_OPEN, actor=admin)
    assert _code(exc) == "already_enrolled"
