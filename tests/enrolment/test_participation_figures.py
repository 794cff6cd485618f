"""Participation served from the town's stored figures (issue 22 item 16): one query while nothing changed, never
stale after a committed change (enrol, pay, reverse, a member's status, a village's decision, a roster import, a
raw write), untouched by a rolled-back transaction, new terms counted afresh, targets always current, and every
town's figures its own.

These tests commit (the figures are shared between transactions), so they run in a town schema of their own,
cloned from the template and dropped at the end; the ledger's append-only entries never reach the session towns.
"""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.clone import CloneSchema

from mutualaid.enrolment import actions, roster, tasks
from mutualaid.enrolment.models import Household, Member
from mutualaid.enrolment.participation import (
    count_village_figures,
    figures_key,
    participation,
    prune_changes,
    store_figures,
)
from mutualaid.policies.terms import SpecialGroupTreatment
from mutualaid.tenants.migration import template_schema
from mutualaid.tenants.models import Town, TownStatus
from tests.conftest import XINSHENG, ensure_towns
from tests.enrolment.conftest import XINSHENG_2022, XINSHENG_OPEN
from tests.enrolment.test_roster import _csv, _rows
from tests.factories import graphql, make_user

SCHEMA = "town_test_participation_figures"
CODE = "500152990"


def _drop_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


@pytest.fixture
def town(transactional_db):
    county = ensure_towns()[XINSHENG].county
    _drop_schema()
    CloneSchema().clone_schema(template_schema(), SCHEMA, "DATA")
    town = Town.objects.create(
        code=CODE,
        name="参与率测试镇",
        slug="participation-figures",
        schema_name=SCHEMA,
        county=county,
        status=TownStatus.ACTIVE,
    )
    connection.set_tenant(town)
    yield town
    connection.set_schema_to_public()
    _drop_schema()


def _changes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enrolment_participation_change")
        return cursor.fetchone()[0]


def _fresh(terms=XINSHENG_2022):
    """What the three aggregate queries count now."""
    return count_village_figures(terms)


@pytest.fixture
def families(town, build):
    village = build.village(f"{CODE}201", "一村")
    other = build.village(f"{CODE}202", "二村", joined=False)
    return [build.family(v, size=2 + i % 2) for i, v in enumerate([village, village, village, other])]


def test_unchanged_figures_are_one_query_and_a_commit_is_seen_at_once(
    town, families, django_assert_num_queries
):
    with django_assert_num_queries(5):  # check, three aggregate queries, store
        first = participation(XINSHENG_2022, by_village=True)
    with django_assert_num_queries(1):
        again = participation(XINSHENG_2022, by_village=True)
    assert again == first and again.by_village == _fresh()
    assert first.eligible_people == sum(h.members.count() for h in families)

    Member.objects.filter(household=families[0]).update(status="deceased")  # committed (autocommit)
    with django_assert_num_queries(5):
        after = participation(XINSHENG_2022, by_village=True)
    assert after.eligible_people == first.eligible_people - families[0].members.count()
    assert after.by_village == _fresh()
    with django_assert_num_queries(1):
        assert participation(XINSHENG_2022, by_village=True) == after


def test_enrol_pay_reverse_deactivate_and_decide_each_change_participation_immediately(town, families):
    admin = make_user("town_admin", town=town)

    def now():
        found = participation(XINSHENG_2022, by_village=True)
        assert found.by_village == _fresh()
        participation(XINSHENG_2022)  # stored again: the next step must invalidate it
        return found

    before = now()
    [enrolment] = actions.enrol_households([families[0]], XINSHENG_2022, now=XINSHENG_OPEN, actor=admin)
    assert now() == before  # enrolled, not paid: not counted yet (the policy counts only paid enrolments)
    counted_unpaid = participation(dataclasses.replace(XINSHENG_2022, participation_counts_unpaid=True))
    assert counted_unpaid.enrolled_households == 1

    contribution = actions.record_contribution(enrolment, method="cash", receipt_number="PF-1", actor=admin)
    paid = now()
    assert (paid.enrolled_households, paid.enrolled_people) == (1, enrolment.member_count)

    actions.reverse_contribution(contribution, reason="收据号录错", actor=admin)
    reversed_ = now()
    assert reversed_.enrolled_households == 0

    member = families[1].members.order_by("pk").first()
    actions.update_member(member, status="moved_out", actor=admin)
    moved = now()
    assert moved.eligible_people == reversed_.eligible_people - 1

    village = families[3].village
    actions.record_village_decision(village, joined=True, resolution_date=XINSHENG_OPEN.date(), actor=admin)
    decided = now()
    assert decided.villages_joined == moved.villages_joined + 1


def test_a_roster_import_changes_participation_when_its_job_ends(town, build):
    village = build.village(f"{CODE}203", "导入村")
    before = participation(XINSHENG_2022, by_village=True)
    job = actions.submit_roster_import(
        "导入村.csv", _csv(_rows(village.code, households=3, size=3)), actor=None, enqueue=False
    )
    job = roster.run_job(job)
    assert (job.status, job.created_count) == ("done", 9)
    after = participation(XINSHENG_2022, by_village=True)
    assert after.eligible_people == before.eligible_people + 9
    assert after.eligible_households == before.eligible_households + 3
    assert after.by_village == _fresh()


def test_a_rolled_back_transaction_leaves_the_figures_valid(town, families, django_assert_num_queries):
    stored = participation(XINSHENG_2022, by_village=True)
    changes = _changes()
    with pytest.raises(RuntimeError), transaction.atomic():
        Member.objects.filter(household=families[0]).update(status="deceased")
        Household.objects.filter(pk=families[1].pk).update(address="回滚")
        inside = participation(XINSHENG_2022, by_village=True)  # its own changes: counted afresh, not stored
        assert inside.eligible_people < stored.eligible_people
        raise RuntimeError("roll back")
    assert _changes() == changes
    with django_assert_num_queries(1):
        assert participation(XINSHENG_2022, by_village=True) == stored


def test_a_transaction_that_wrote_never_reads_or_stores_stale_figures(
    town, families, django_assert_num_queries
):
    stored = participation(XINSHENG_2022, by_village=True)
    with transaction.atomic():
        families[0].members.filter(relation="child").update(status="deceased")
        with django_assert_num_queries(4):  # check and the three queries; no store
            inside = participation(XINSHENG_2022, by_village=True)
        assert inside.eligible_people == stored.eligible_people - 1
    with django_assert_num_queries(5):  # committed: counted afresh for everyone, and stored
        assert participation(XINSHENG_2022, by_village=True) == inside


def test_terms_that_shape_the_counts_are_counted_apart_and_targets_are_always_current(
    town, families, build, django_assert_num_queries
):
    build.member(families[0], relation="child", hardship=["dibao"])
    base = participation(XINSHENG_2022)
    excluding = dataclasses.replace(
        XINSHENG_2022,
        special_groups=(*XINSHENG_2022.special_groups[1:], dataclasses.replace(
            XINSHENG_2022.special_groups[0], treatment=SpecialGroupTreatment.EXCLUDED)),
    )  # fmt: skip
    assert participation(excluding).eligible_people == base.eligible_people - 1
    earlier = dataclasses.replace(
        XINSHENG_2022, register_snapshot_date=families[0].members.first().registered_on
    )
    assert participation(earlier, by_village=True).by_village == _fresh(earlier)

    raised = dataclasses.replace(XINSHENG_2022, target_person_share_bp=9000)
    with django_assert_num_queries(1):
        found = participation(raised)
    assert found.person_share.target_bp == 9000 and found.eligible_people == base.eligible_people


def test_each_town_reads_its_own_figures(town, families, xinsheng):
    here = participation(XINSHENG_2022, by_village=True)
    connection.set_tenant(xinsheng)
    there = participation(XINSHENG_2022, by_village=True)
    assert there.by_village == _fresh()
    assert {v.code for v in there.by_village}.isdisjoint({v.code for v in here.by_village})
    connection.set_tenant(town)
    assert participation(XINSHENG_2022, by_village=True) == here


def test_a_change_in_progress_when_the_figures_were_stored_invalidates_them_at_its_commit(town, families):
    other = connections.create_connection("default")  # another session, as another request would be
    try:
        other.set_tenant(town)
        other.set_autocommit(False)
        with other.cursor() as cursor:  # in progress, not yet committed
            cursor.execute(
                "UPDATE enrolment_member SET status = 'deceased' WHERE household_id = %s", [families[0].pk]
            )
        stored = participation(XINSHENG_2022, by_village=True)  # counts and stores without the change
        assert stored.by_village == _fresh()
        other.commit()
    finally:
        other.close()
    after = participation(XINSHENG_2022, by_village=True)
    assert after.eligible_people == stored.eligible_people - families[0].members.count()
    assert after.by_village == _fresh()


def test_the_api_reads_stored_figures_with_one_query_of_the_town_data(town, families, monkeypatch):
    monkeypatch.setattr("mutualaid.policies.selectors.enrolment_terms", lambda year, on=None: XINSHENG_2022)
    admin = make_user("town_admin", town=town)
    query = (
        "{ participation(schemeYear: 2022) { eligiblePeople personShare { shareBp } byVillage { code } } }"
    )
    first = graphql(admin, query, town=town)
    assert "errors" not in first, first
    with CaptureQueriesContext(connection) as captured:
        again = graphql(admin, query, town=town)
    assert again == first
    town_data = [q["sql"] for q in captured if "enrolment_" in q["sql"]]
    assert len(town_data) == 1 and "enrolment_participation_figures" in town_data[0]


def _snapshot() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def _changes_below(horizon: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM enrolment_participation_change WHERE xid < %s::text::xid8", [horizon]
        )
        return cursor.fetchone()[0]


def test_pruning_drops_the_change_rows_below_its_horizon_and_the_figures_stay_right(
    town, families, django_assert_num_queries
):
    # given figures stored, then a committed change
    stored = participation(XINSHENG_2022, by_village=True)
    Member.objects.filter(household=families[0]).update(status="deceased")
    before = _changes()
    # when the change rows are pruned
    pruned = prune_changes()
    # then nothing below the horizon is left, and the figures are right: recounted once, then one query again
    assert _changes_below(pruned["horizon"]) == 0 and _changes() == before - pruned["changes"]
    after = participation(XINSHENG_2022, by_village=True)
    assert after.eligible_people == stored.eligible_people - families[0].members.count()
    assert after.by_village == _fresh()
    with django_assert_num_queries(1):
        assert participation(XINSHENG_2022, by_village=True) == after
    # and pruning again is harmless
    prune_changes()
    assert participation(XINSHENG_2022, by_village=True) == after


def test_figures_counted_under_a_snapshot_older_than_the_horizon_are_not_stored(town, families):
    # given a snapshot taken before a committed change, and a prune horizon above it
    snapshot = _snapshot()
    Member.objects.filter(household=families[0]).update(status="deceased")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE enrolment_participation_horizon SET horizon = pg_snapshot_xmax(pg_current_snapshot())"
        )
    # when figures counted under the old snapshot (without the change) come to be stored late
    stale = [dataclasses.replace(row, eligible_people=row.eligible_people + 99) for row in _fresh()]
    # then the store is refused: they could outlive the change rows that would invalidate them
    assert store_figures(figures_key(XINSHENG_2022), snapshot, stale) is False
    assert participation(XINSHENG_2022, by_village=True).by_village == _fresh()


def test_the_daily_task_prunes_every_town(town, families, settings):
    tasks_run_by_beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enrolment.prune_participation_changes" in tasks_run_by_beat
    participation(XINSHENG_2022)
    Member.objects.filter(household=families[0]).update(status="deceased")
    pruned = tasks.prune_participation_changes()
    assert CODE in pruned and pruned[CODE]["horizon"] > 0
    connection.set_tenant(town)
    assert _changes_below(pruned[CODE]["horizon"]) == 0
