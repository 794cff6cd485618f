"""Participation of a town against the policy's targets, in a fixed number of aggregate queries."""

import dataclasses
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualaid.enrolment import actions, participation
from tests.enrolment.conftest import HAIAN_2022, HAIAN_OPEN
from tests.factories import make_user


def test_haian_targets_villages_and_households_in_villages_that_joined(dagong, in_town, build):
    in_town(dagong)
    admin = make_user("town_admin", town=dagong)
    joined = [build.village(name=f"参加{i}村") for i in range(2)]
    build.village(name="未参加村", joined=False)
    households = [build.family(v, size=2) for v in joined for _ in range(5)]
    dibao_only = build.household(joined[0])
    build.member(dibao_only, hardship=["dibao"])  # not eligible in 海安
    build.member(households[0], relation="child", registered_on=date(2022, 7, 1))  # after the snapshot
    enrolments = actions.enrol_households(households[:4], HAIAN_2022, now=HAIAN_OPEN, actor=admin)
    for n, enrolment in enumerate(enrolments[:3]):
        actions.record_contribution(enrolment, method="cash", receipt_number=f"P-{n}", actor=admin)
    # the fourth household paid part of its fee only: enrolled, but not counted as participating
    actions.record_contribution(
        enrolments[3], method="cash", receipt_number="P-3", amounts_by_source={"person": 5000}, actor=admin
    )

    found = participation.participation(HAIAN_2022, by_village=True)
    assert (found.villages, found.villages_joined) == (3, 2)
    assert found.village_share.share_bp == 6666 and found.village_share.met
    assert found.eligible_households == 10 and found.eligible_people == 20
    assert found.enrolled_households == 3 and found.enrolled_people == 6
    assert found.household_share_in_joined.share_bp == 3000 and found.household_share_in_joined.met
    assert found.person_share.target_bp is None and found.person_share.met is None
    assert sum(v.enrolled_households for v in found.by_village) == 3


def test_participation_costs_the_same_queries_for_3_and_30_villages(dagong, in_town, build):
    in_town(dagong)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            participation.participation(HAIAN_2022, by_village=True)
        return len(captured)

    for _ in range(3):
        build.family(build.village(), size=2)
    few = queries()
    for _ in range(27):
        build.family(build.village(), size=2)
    # inside the test's transaction, which wrote the data: the figures' check, then the three aggregate queries
    assert queries() == few == 4


def test_only_enrolments_paid_in_full_count_unless_the_policy_says_otherwise(dagong, in_town, build):
    in_town(dagong)
    admin = make_user("town_admin", town=dagong)
    village = build.village(name="参加村")
    paid, unpaid, reversed_ = (build.family(village, size=2) for _ in range(3))
    enrolments = actions.enrol_households([paid, unpaid, reversed_], HAIAN_2022, now=HAIAN_OPEN, actor=admin)
    actions.record_contribution(enrolments[0], method="cash", receipt_number="Q-1", actor=admin)
    wrong = actions.record_contribution(enrolments[2], method="cash", receipt_number="Q-2", actor=admin)
    actions.reverse_contribution(wrong, reason="收据号录错", actor=admin)

    found = participation.participation(HAIAN_2022, by_village=True)
    assert (found.enrolled_households, found.enrolled_people) == (1, 2)
    assert [v.enrolled_households for v in found.by_village] == [1]

    counting_unpaid = dataclasses.replace(HAIAN_2022, participation_counts_unpaid=True)
    everyone = participation.participation(counting_unpaid, by_village=True)
    assert (everyone.enrolled_households, everyone.enrolled_people) == (3, 6)
    assert [v.enrolled_households for v in everyone.by_village] == [3]
