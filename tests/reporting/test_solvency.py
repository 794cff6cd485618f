"""The run-dry probability beside fund health (issue 20 item 4): publishing enqueues the background simulation of the
published table, whose figure lands on the rollup (and stays through refreshes); a draft's simulation never replaces
it, the town's own simulation of its published table does; the county sees it for its own towns only, on the
dashboard, in the export and on the console page."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from mutualaid.policies import actions as policy_actions
from mutualaid.policies.design_inputs import simulate_policy
from mutualaid.reporting import refresh, solvency, tasks
from mutualaid.reporting.models import RollupKind, TownRollup, TownSolvency
from tests.factories import graphql

COUNTY_QUERY = """
query($code: String!) { countyDashboard(countyCode: $code, schemeYear: 2022) {
  towns { townCode balance monthsOfPayoutsCovered runDryProbabilityPercent expectedCarryOver
    solvencyPolicyVersion solvencyComputedAt } } }
"""


def _current(town) -> TownRollup:
    return TownRollup.objects.get(town=town, scheme_year=2022, kind=RollupKind.CURRENT)


def test_publishing_simulates_the_published_table_into_the_rollup(
    demo_towns, monkeypatch, django_capture_on_commit_callbacks
):
    # given 大公镇's rollup and a task queue that records what is enqueued
    town = demo_towns["320685107"]
    refresh.refresh_town(town)
    assert _current(town).run_dry_bp is None
    enqueued = []
    monkeypatch.setattr(
        tasks.simulate_town_solvency, "apply_async", lambda args, **kw: enqueued.append(list(args))
    )
    connection.set_tenant(town)
    connection.run_on_commit = []  # the fixture's own writes scheduled callbacks in the test's transaction
    try:
        # when an amendment of the 2022 policy is published
        with django_capture_on_commit_callbacks(execute=True):
            published = solvency.latest_published(2022)
            draft = policy_actions.amend(published, published.coverage_start, "调整补助表", None)
            policy_actions.publish(draft, None)
    finally:
        connection.set_schema_to_public()
    # then one simulation of that town and year is enqueued after commit
    assert enqueued == [[town.pk, 2022, "published"]]
    # and the task (ids in, seeded) puts the figure of the new version on the rollup
    outcome = tasks.simulate_town_solvency(*enqueued[0])
    row = _current(town)
    assert row.run_dry_bp is not None and outcome == {2022: row.run_dry_bp}
    assert row.solvency_policy_version == draft.version and row.solvency_computed_at is not None
    assert row.expected_carry_over_fen is not None and row.expected_carry_over_fen >= 0
    stored = TownSolvency.objects.get(town=town, scheme_year=2022)
    assert (stored.runs, stored.source, stored.policy_version) == (solvency.BACKGROUND_RUNS, "published", 2)
    # running it again changes nothing; the refresh copies the stored figure and never simulates
    assert tasks.simulate_town_solvency(*enqueued[0]) == outcome
    refresh.refresh_town(town)
    assert _current(town).run_dry_bp == row.run_dry_bp


def test_a_drafts_simulation_does_not_replace_the_published_figure(demo_towns):
    # given 雅周镇's background figure for its published 2022 table
    town = demo_towns["320685109"]
    refresh.refresh_town(town)
    solvency.simulate_town(town, 2022)
    before = TownSolvency.objects.get(town=town, scheme_year=2022)
    connection.set_tenant(town)
    try:
        published = solvency.latest_published(2022)
        draft = policy_actions.amend(published, published.coverage_start, "试算", None)
        policy_actions.scale_subsidy_table(draft, Decimal("3"), None)
        # when the town admin simulates the dearer draft
        simulate_policy(draft, runs=300)
        after_draft = TownSolvency.objects.get(town=town, scheme_year=2022)
        # then the published figure stays
        assert (after_draft.computed_at, after_draft.run_dry_bp, after_draft.source) == (
            before.computed_at,
            before.run_dry_bp,
            "nightly",
        )
        # but the town's own simulation of the published table is the latest figure
        simulate_policy(published, runs=500, seed=7)
    finally:
        connection.set_schema_to_public()
    latest = TownSolvency.objects.get(town=town, scheme_year=2022)
    assert (latest.source, latest.runs, latest.seed, latest.policy_version) == ("town", 500, 7, 1)
    assert _current(town).run_dry_bp == latest.run_dry_bp


def test_nightly_refresh_enqueues_each_towns_simulation(demo_towns, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        tasks.simulate_town_solvency, "apply_async", lambda args, **kw: enqueued.append(list(args))
    )
    tasks.refresh_all_rollups()
    assert sorted(enqueued) == sorted([[t.pk] for t in demo_towns.values()])
    # every demo town's published year is simulated by the task
    for args in enqueued:
        assert list(tasks.simulate_town_solvency(*args)) == [2022]
    assert TownRollup.objects.filter(kind=RollupKind.CURRENT, run_dry_bp__isnull=False).count() == 3


def _simulated(demo_towns):
    for town in demo_towns.values():
        refresh.refresh_town(town)
        solvency.simulate_town(town, 2022)


def test_the_county_sees_the_figure_of_its_own_towns_only(demo_towns, people):
    _simulated(demo_towns)
    data = graphql(people["county"], COUNTY_QUERY, {"code": "320685"})["data"]["countyDashboard"]
    lines = {t["townCode"]: t for t in data["towns"]}
    assert set(lines) == {"320685107", "320685109"}  # 新胜镇 is another county's
    for code, line in lines.items():
        row = TownRollup.objects.get(town__code=code, kind=RollupKind.CURRENT)
        assert line["runDryProbabilityPercent"] == round(row.run_dry_bp / 100, 2)
        assert line["solvencyPolicyVersion"] == 1 and line["expectedCarryOver"] is not None
    refused = graphql(people["county"], COUNTY_QUERY, {"code": "500152"})
    assert refused["data"]["countyDashboard"] is None
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    # the export has the column
    result = graphql(
        people["county"], 'query { dashboardExport(schemeYear: 2022, countyCode: "320685") { base64 } }'
    )["data"]["dashboardExport"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(result["base64"]))).active
    header = [cell.value for cell in sheet[2]]
    column = header.index("资金用尽概率%")
    values = {row[0]: row[column] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert values["大公镇"] == round(TownRollup.objects.get(town__code="320685107").run_dry_bp / 100, 2)


def test_the_console_shows_the_figure_with_a_warning_colour(demo_towns, people):
    _simulated(demo_towns)
    TownRollup.objects.filter(town__code="320685107").update(run_dry_bp=2500)
    TownRollup.objects.filter(town__code="320685109").update(run_dry_bp=300)
    client = Client()
    client.force_login(people["county"])
    html = client.get("/console/").content.decode()
    assert "资金用尽概率" in html
    assert 'class="num run-dry bad" data-run-dry="2500"' in html and "25%" in html
    assert 'class="num run-dry" data-run-dry="300"' in html
    assert "新胜镇" not in html
    assert "/console/supervision/towns/320685107/?year=2022" in html  # the town's trend beside its figures
