"""Rollups: a town's public row equals what the town's own queries say; changes ask for a coalesced refresh after
commit; the nightly and monthly tasks; no names or ids in public."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import connection

from mutualaid.enrolment.models import Village
from mutualaid.enrolment.participation import participation
from mutualaid.funds.ledger import year_summary
from mutualaid.policies.selectors import enrolment_terms
from mutualaid.reporting import refresh, rules, signals, sources, tasks
from mutualaid.reporting.models import RefreshRequest, RollupKind, TownRollup


def test_rollup_equals_the_towns_own_queries(demo_towns):
    for town in demo_towns.values():
        refresh.refresh_town(town)
    assert TownRollup.objects.filter(kind=RollupKind.CURRENT, scheme_year=2022).count() == 3
    for town in demo_towns.values():
        row = TownRollup.objects.get(town=town, scheme_year=2022, kind=RollupKind.CURRENT)
        connection.set_tenant(town)
        try:
            terms = enrolment_terms(2022, row.as_of)
            own = participation(terms)
            summary = year_summary(2022)
        finally:
            connection.set_schema_to_public()
        assert row.has_policy and row.enrolled_people > 0
        assert (row.villages, row.villages_joined) == (own.villages, own.villages_joined)
        assert (row.eligible_people, row.enrolled_people) == (own.eligible_people, own.enrolled_people)
        assert (row.eligible_households, row.enrolled_households) == (
            own.eligible_households,
            own.enrolled_households,
        )
        assert (row.eligible_households_in_joined, row.enrolled_households_in_joined) == (
            own.eligible_households_in_joined,
            own.enrolled_households_in_joined,
        )
        assert row.income_fen == summary.income_fen and row.balance_fen == summary.bank_fen
        assert row.receivables_fen == summary.receivables_fen and row.payables_fen == summary.payables_fen
        assert row.income_by_source == {k: v for k, v in summary.income_by_source.items() if v}
        assert row.policy_village_target_bp == terms.target_village_share_bp
        assert row.ledger_balanced
    # 海安's pledge of 250,000 元 is a receivable, not yet in the bank
    dagong = TownRollup.objects.get(town__code="320685107", kind=RollupKind.CURRENT)
    assert dagong.receivables_fen == 250_000_00


def test_public_rows_hold_no_names_or_ids(demo_towns):
    town = demo_towns["320685107"]
    refresh.refresh_town(town)
    connection.set_tenant(town)
    try:
        names = list(Village.objects.values_list("name", flat=True)[:5])
    finally:
        connection.set_schema_to_public()
    row = TownRollup.objects.filter(town=town).values().first()
    text = str(row)
    assert not any(name in text for name in names)


def test_a_refresh_replaces_the_current_row_and_monthly_rows_are_kept(demo_towns):
    town = demo_towns["500152116"]
    refresh.refresh_town(town)
    refresh.refresh_town(town)
    tasks.monthly_snapshots("2022-11-30")
    tasks.monthly_snapshots("2022-12-31")
    tasks.monthly_snapshots("2022-12-31")  # idempotent
    rows = TownRollup.objects.filter(town=town, scheme_year=2022)
    assert rows.filter(kind=RollupKind.CURRENT).count() == 1
    assert sorted(rows.filter(kind=RollupKind.MONTHLY).values_list("as_of", flat=True)) == [
        date(2022, 11, 30),
        date(2022, 12, 31),
    ]


def test_nightly_task_refreshes_every_active_town(demo_towns):
    outcome = tasks.refresh_all_rollups()
    assert outcome == {code: "ok" for code in sorted(demo_towns)}
    assert TownRollup.objects.filter(kind=RollupKind.CURRENT).count() == 3


def test_beat_schedules_the_nightly_monthly_and_reminder_tasks():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "reporting.refresh_all_rollups",
        "reporting.monthly_snapshots",
        "reporting.quarterly_report_reminders",
    } <= scheduled


def test_changes_enqueue_one_refresh_after_commit(
    demo_towns, monkeypatch, django_capture_on_commit_callbacks
):
    dagong = demo_towns["320685107"]
    before = refresh.refresh_town(dagong)[0].villages
    enqueued = []
    monkeypatch.setattr(
        tasks.refresh_town_rollup, "apply_async", lambda args, countdown: enqueued.append((args, countdown))
    )
    connection.set_tenant(dagong)
    # The fixture's writes happened in the test's own transaction and already scheduled the town once; start afresh
    # as a new transaction would.
    connection.run_on_commit = []
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            for n in range(5):
                Village.objects.create(code=f"320685107{300 + n}", name=f"新村{n}", joined=True)
        assert len(callbacks) == 1  # one callback per town and transaction
        with django_capture_on_commit_callbacks(execute=True):
            Village.objects.create(code="320685107399", name="又一村", joined=False)
    finally:
        connection.set_schema_to_public()
    # Two transactions within the minute: one request row, one task.
    assert enqueued == [(["320685107"], signals.COALESCE_SECONDS)]
    assert RefreshRequest.objects.filter(town_code="320685107").count() == 1
    # The task takes the request and refreshes; the next change asks again.
    assert refresh.run_requested("320685107")
    assert not RefreshRequest.objects.exists()
    assert TownRollup.objects.get(town=dagong, kind=RollupKind.CURRENT).villages == before + 6
    assert signals.request_refresh("320685107") and len(enqueued) == 2


def test_a_public_schema_save_asks_nothing(db, django_capture_on_commit_callbacks):
    from mutualaid.tenants.models import ServiceFirm

    with django_capture_on_commit_callbacks() as callbacks:
        ServiceFirm.objects.create(name="x")
    assert callbacks == []


def test_claim_figures_of_a_town_without_claims(demo_towns):
    connection.set_tenant(demo_towns["320685109"])
    try:
        figures = sources.claim_figures(2022, date(2023, 1, 1))
    finally:
        connection.set_schema_to_public()
    assert figures["claims_by_state"] == {} and figures["decision_days_median"] is None


def test_pure_rules():
    assert rules.percentile([1, 2, 3, 4], 0.5) == rules.Decimal("2.5")
    assert rules.percentile([5] * 9 + [10], 0.9) == rules.Decimal("5.5")
    assert rules.months_covered(300_00, 120_00, 4) == rules.Decimal("10.0")
    assert rules.months_covered(1, 0, 3) is None
    assert rules.months_between(date(2022, 11, 1), date(2023, 1, 15)) == 3
    calendar = sources.WorkingDays(date(2022, 9, 30), date(2022, 10, 10))
    assert calendar.between(date(2022, 9, 30), date(2022, 10, 10)) == 3  # 国庆: 8, 9 (调休) and 10 Oct
