"""With a real published policy (新胜镇's 2022 preset), the API reads EnrolmentTerms through
mutualaid.policies.selectors.enrolment_terms: participation against the document's target, and enrolment refused
after the window (the API uses the current time: 2022's window is long closed)."""

from django.db import connection
from graphql_relay import to_global_id

from mutualaid.enrolment import actions
from mutualaid.enrolment.models import Enrolment
from mutualaid.platform.accounts.roles import Role
from mutualaid.policies.selectors import enrolment_terms
from tests.enrolment.conftest import XINSHENG_OPEN
from tests.factories import graphql, make_user
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture


def test_xinsheng_published_policy_drives_participation_and_the_window(in_xinsheng, build, drg_catalogue):  # noqa: F811
    from mutualaid.policies.actions import apply_preset

    apply_preset("500152116", None, publish=True)
    terms = enrolment_terms(2022)
    assert (terms.fee_per_person_fen, terms.target_person_share_bp) == (4500, 5000)
    admin = make_user(Role.TOWN_ADMIN, town=in_xinsheng)
    village = build.village()
    households = [build.family(village, size=2, region="500223") for _ in range(4)]
    enrolments = actions.enrol_households(households[:2], terms, now=XINSHENG_OPEN, actor=admin)
    for n, enrolment in enumerate(enrolments):  # participation counts enrolments paid in full
        actions.record_contribution(enrolment, method="cash", receipt_number=f"XS-{n}", actor=admin)

    found = graphql(
        admin,
        "{ participation(schemeYear: 2022) { enrolledPeople eligiblePeople personShare { shareBp targetBp met } } }",
        town=in_xinsheng,
    )["data"]["participation"]
    assert found == {
        "enrolledPeople": 4,
        "eligiblePeople": 8,
        "personShare": {"shareBp": 5000, "targetBp": 5000, "met": True},
    }

    late = graphql(
        admin,
        "mutation($h: [ID!]!) { enrolHouseholds(schemeYear: 2022, householdIds: $h) { errors { code } } }",
        {"h": [to_global_id("Household", households[3].pk)]},
        town=in_xinsheng,
    )["data"]["enrolHouseholds"]
    assert late["errors"] == [{"code": "OUTSIDE_ENROLMENT_WINDOW"}]
    connection.set_tenant(in_xinsheng)
    assert Enrolment.objects.count() == 2
