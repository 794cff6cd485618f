"""A preset applies to the scheme year a town asks for (default: the next one to open), every date moved to that
year by its document's rule; ``auto`` finds a town's document by its county, city or province (issue 14 items 5-6)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from mutualaid.enrolment import actions as enrolment
from mutualaid.enrolment.models import Enrolment
from mutualaid.platform.accounts.roles import Role
from mutualaid.policies import actions
from mutualaid.policies.documents import HAIAN_2022, XINSHENG_2022, resolve
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.selectors import enrolment_terms
from tests.enrolment.conftest import build  # noqa: F401 - a fixture
from tests.factories import graphql, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 5)  # a town onboarded “today”


def codes(exc: ValidationError) -> set[tuple[str, str]]:
    return {(field, error.code) for field, errors in exc.error_dict.items() for error in errors}


def test_every_date_moves_to_the_asked_year_by_the_xinsheng_documents_rule():
    values = XINSHENG_2022.for_year(2027)

    assert values.scheme_year == 2027
    assert values.register_snapshot_date == date(2027, 8, 31)
    assert (values.enrolment_opens, values.enrolment_closes) == (date(2027, 9, 15), date(2027, 10, 31))
    assert (values.coverage_start, values.coverage_end) == (date(2027, 11, 1), date(2028, 10, 31))
    assert values.claim_deadline == date(2028, 12, 31)
    assert values.fee_per_person_fen == XINSHENG_2022.values.fee_per_person_fen


def test_the_2022_only_opening_day_is_kept_for_2022_only():
    assert XINSHENG_2022.for_year(2022) == XINSHENG_2022.values
    assert XINSHENG_2022.for_year(2022).enrolment_opens == date(2022, 9, 29)
    assert XINSHENG_2022.for_year(2023).enrolment_opens == date(2023, 9, 15)


def test_a_presets_enrolment_terms_for_a_year_before_it_is_published():
    terms = XINSHENG_2022.enrolment_terms(2027)

    assert (terms.scheme_year, terms.policy_id, terms.fee_per_person_fen) == (2027, None, 4500)
    assert (terms.enrolment_opens, terms.coverage_end) == (date(2027, 9, 15), date(2028, 10, 31))
    assert XINSHENG_2022.enrolment_terms().enrolment_opens == date(2022, 9, 29)


def test_the_haian_dates_recur_each_year():
    values = HAIAN_2022.for_year(2027)

    assert (values.enrolment_opens, values.enrolment_closes) == (date(2027, 6, 1), date(2027, 6, 30))
    assert (values.coverage_start, values.coverage_end) == (date(2027, 7, 1), date(2028, 6, 30))
    assert values.claim_deadline == date(2028, 12, 31)


@pytest.mark.parametrize(
    ("preset", "today", "year"),
    [
        (XINSHENG_2022, date(2026, 12, 5), 2027),  # 2026's window closed on 31 Oct
        (XINSHENG_2022, date(2026, 10, 1), 2026),  # open now
        (XINSHENG_2022, date(2026, 3, 1), 2026),  # opens in September
        (XINSHENG_2022, date(2026, 10, 31), 2026),  # the last day, until 24:00
        (HAIAN_2022, date(2026, 12, 5), 2027),
        (HAIAN_2022, date(2026, 7, 1), 2027),
    ],
)
def test_the_default_scheme_year_is_the_next_one_to_open(preset, today, year):
    assert preset.next_year_to_open(today) == year


@pytest.mark.parametrize(
    ("town", "family"),
    [
        ("320685100", "haian"),  # 海安市, not a pilot town
        ("320612001", "haian"),  # 南通市
        ("320102001", "haian"),  # 江苏省
        ("500152120", "xinsheng"),  # 潼南区
        ("500101001", "xinsheng"),  # 重庆市
    ],
)
def test_auto_gives_a_town_the_preset_of_its_documents_family_for_the_coming_year(town, family):
    found = resolve("auto", town)

    assert found is not None
    assert (found.preset.family, found.default_year) == (family, None)


def test_auto_keeps_a_pilot_town_on_its_own_preset_and_year():
    found = resolve("auto", "500152116")

    assert found is not None and (found.preset.key, found.default_year) == ("xinsheng-2022", 2022)


def test_auto_for_a_town_no_document_covers_is_a_typed_error_listing_the_choices(in_dagong):
    with pytest.raises(ValidationError) as raised:
        actions.apply_preset("auto", None, town_code="110101001")

    assert codes(raised.value) == {("key", "no_preset_for_town")}
    message = raised.value.error_dict["key"][0].message
    assert "110101001" in message and "xinsheng" in message and "haian" in message
    assert not PolicyVersion.objects.exists()


def test_an_unknown_preset_lists_the_choices(in_dagong):
    with pytest.raises(ValidationError) as raised:
        actions.apply_preset("nowhere", None)

    assert codes(raised.value) == {("key", "unknown_preset")}
    assert "xinsheng" in raised.value.error_dict["key"][0].message


def test_a_town_onboarded_in_december_2026_gets_the_2027_scheme_and_enrols_in_its_window(
    in_xinsheng,
    drg_catalogue,
    build,  # noqa: F811
):
    # given a 潼南区 town that is not a pilot, onboarded on 5 December 2026
    admin = make_user(Role.TOWN_ADMIN, town=in_xinsheng)
    village = build.village()
    households = [build.family(village, size=2, region="500223") for _ in range(2)]

    # when its admin applies its document's preset and publishes it
    policy = actions.apply_preset("auto", admin, town_code="500152120", publish=True, on=TODAY)

    # then the policy is the 2027 scheme year, dated in 2027 and 2028
    assert (policy.scheme_year.year, policy.status, policy.preset_key) == (2027, "published", "xinsheng-2022")
    assert (policy.enrolment_opens, policy.enrolment_closes) == (date(2027, 9, 15), date(2027, 10, 31))
    assert (policy.coverage_start, policy.coverage_end) == (date(2027, 11, 1), date(2028, 10, 31))
    assert policy.claim_deadline == date(2028, 12, 31)
    # and a household enrols within the window, but not today
    terms = enrolment_terms(2027, on=date(2027, 9, 20))
    with pytest.raises(ValidationError) as refused:
        enrolment.enrol_households(
            households[:1], terms, now=datetime(2026, 12, 5, 10, tzinfo=SHANGHAI), actor=admin
        )
    assert refused.value.error_dict["now"][0].code == "outside_enrolment_window"
    enrolled = enrolment.enrol_households(
        households[:1], terms, now=datetime(2027, 9, 20, 10, tzinfo=SHANGHAI), actor=admin
    )
    assert [e.scheme_year for e in enrolled] == [2027]
    assert Enrolment.objects.filter(scheme_year=2027).count() == 1


def test_applying_a_preset_to_a_year_again_is_idempotent(in_xinsheng, drg_catalogue):
    first = actions.apply_preset("xinsheng", None, scheme_year=2027, publish=True)
    again = actions.apply_preset("xinsheng-2022", None, scheme_year=2027, publish=True)

    assert again.pk == first.pk
    assert PolicyVersion.objects.filter(scheme_year__year=2027).count() == 1


def test_the_preset_mutation_takes_an_optional_scheme_year(xinsheng, drg_catalogue):
    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)
    query = """mutation($key: String!, $year: Int) { policyPresetApply(key: $key, schemeYear: $year) {
        policy { schemeYear status registerSnapshotDate enrolmentOpens coverageEnd claimDeadline presetKey }
        errors { field code } } }"""

    dated = graphql(admin, query, {"key": "xinsheng-2022", "year": 2027}, town=xinsheng)["data"][
        "policyPresetApply"
    ]
    pilot = graphql(admin, query, {"key": "auto"}, town=xinsheng)["data"]["policyPresetApply"]
    unknown = graphql(admin, query, {"key": "nowhere", "year": 2027}, town=xinsheng)["data"][
        "policyPresetApply"
    ]

    assert dated == {
        "policy": {
            "schemeYear": 2027,
            "status": "DRAFT",
            "registerSnapshotDate": "2027-08-31",
            "enrolmentOpens": "2027-09-15",
            "coverageEnd": "2028-10-31",
            "claimDeadline": "2028-12-31",
            "presetKey": "xinsheng-2022",
        },
        "errors": [],
    }
    assert (pilot["policy"]["schemeYear"], pilot["policy"]["enrolmentOpens"]) == (2022, "2022-09-29")
    assert unknown == {"policy": None, "errors": [{"field": "key", "code": "UNKNOWN_PRESET"}]}


def test_the_cli_applies_a_preset_to_the_asked_year(towns, drg_catalogue, capsys):
    call_command("policies", "preset", "xinsheng", "--town", "500152116", "--year", "2027", "--publish")

    out = capsys.readouterr().out
    assert "新胜镇：2027互助年度 第1版（已发布，预设 xinsheng-2022）" in out
    assert "交费期 2027-09-15 至 2027-10-31" in out
    connection.set_tenant(towns["500152116"])
    try:
        assert PolicyVersion.objects.get().scheme_year.year == 2027
    finally:
        connection.set_schema_to_public()


def test_the_preset_list_says_which_document_is_the_towns_and_its_coming_year(xinsheng):
    from mutualaid.policies.selectors import today

    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)

    data = graphql(
        admin, "{ policyPresets { key family schemeYear nextSchemeYear forThisTown } }", town=xinsheng
    )

    presets = {p["key"]: p for p in data["data"]["policyPresets"]}
    assert presets["xinsheng-2022"]["forThisTown"] and not presets["haian-2022"]["forThisTown"]
    assert presets["xinsheng-2022"]["family"] == "xinsheng" and presets["xinsheng-2022"]["schemeYear"] == 2022
    assert presets["xinsheng-2022"]["nextSchemeYear"] == XINSHENG_2022.next_year_to_open(today())


def test_copying_xinsheng_2022_into_2023_opens_the_window_on_15_september(xinsheng_policy):
    # given 新胜镇's published 2022 policy, whose window opened on 29 September (that year only)
    # when the town copies it into 2023
    draft = actions.copy_to_year(xinsheng_policy, 2023, None)

    # then the 2023 window follows the document's standing rule; the other dates move a year
    assert (draft.enrolment_opens, draft.enrolment_closes) == (date(2023, 9, 15), date(2023, 10, 31))
    assert (draft.coverage_start, draft.claim_deadline) == (date(2023, 11, 1), date(2024, 12, 31))


def test_copying_keeps_a_date_the_town_set_itself_a_year_later(xinsheng_policy):
    amended = actions.amend(xinsheng_policy, date(2022, 10, 1), "延长交费期", None)
    actions.update_draft(amended, None, enrolment_opens=date(2022, 9, 20))
    published = actions.publish(amended, None)

    draft = actions.copy_to_year(published, 2023, None)

    assert draft.enrolment_opens == date(2023, 9, 20)
