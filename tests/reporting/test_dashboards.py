"""County and province dashboards read rollups only: the query count is the same for 3 and 30 towns; towns behind
target come first; targets set by the level above override the policy's; exports and trends."""

from __future__ import annotations

import base64
import io
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from mutualaid.platform.regions.models import County
from mutualaid.reporting import actions, refresh, targets, tasks
from mutualaid.reporting.models import RollupKind, TownRollup
from mutualaid.tenants.models import Town, TownStatus
from tests.factories import graphql

COUNTY_QUERY = """
query($code: String!) { countyDashboard(countyCode: $code, schemeYear: 2022) {
  countyName towns { townCode townName behindTarget personSharePercent villageSharePercent
    householdSharePercent targets { personSharePercent source } balance monthsOfPaymentsCovered: monthsOfPayoutsCovered
    decisionDaysMedian paidNextMonthPercent claimsByState incomeBySource runDryProbabilityPercent expectedCarryOver
    solvencyPolicyVersion solvencyComputedAt }
  totals { towns townsBehindTarget townsAtRisk enrolledPeople eligiblePeople personSharePercent balance } } }
"""
PROVINCE_QUERY = """
query { provinceDashboard(provinceCode: "32", schemeYear: 2022) {
  cities { code name totals { towns townsBehindTarget townsAtRisk } }
  counties { code name totals { towns townsAtRisk enrolledPeople personSharePercent balance } }
  towns { townCode behindTarget } totals { towns enrolledPeople income } } }
"""


def _fake_towns(count: int, county: County, start: int = 500) -> None:
    """Rollup rows for ``count`` bulk-made towns of the county (no schemas: dashboards never enter them)."""
    towns = Town.objects.bulk_create(
        [
            Town(
                code=f"{county.code}{start + n:03d}",
                name=f"测试镇{n}",
                slug=f"t{county.code}{start + n}",
                schema_name=f"t_{county.code}{start + n}",
                county=county,
                status=TownStatus.ACTIVE,
            )
            for n in range(count)
        ]
    )
    now = timezone.now()
    TownRollup.objects.bulk_create(
        [
            TownRollup(
                town=town, county=county, province_code=county.code[:2], scheme_year=2022,
                as_of=date(2023, 3, 1), computed_at=now, has_policy=True, villages=10,
                villages_joined=4 + n % 4, eligible_people=1000, enrolled_people=400 + 50 * (n % 5),
                eligible_households_in_joined=300, enrolled_households_in_joined=100 + n,
                balance_fen=100_000_00, subsidies_fen=30_000_00, payout_months=5,
                run_dry_bp=150 * n, expected_carry_over_fen=20_000_00, solvency_policy_version=1,
                solvency_computed_at=now,
            )
            for n, town in enumerate(towns)
        ]
    )  # fmt: skip
    targets.apply(TownRollup.objects.filter(town__in=towns))


def _count(user, query, variables=None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        result = graphql(user, query, variables)
    assert "errors" not in result, result
    return len(captured), result["data"]


def test_query_count_does_not_depend_on_the_number_of_towns(towns, people):
    county = County.objects.get(code="320685")
    _fake_towns(3, county)
    small_county, small = _count(people["county"], COUNTY_QUERY, {"code": "320685"})
    small_province, _ = _count(people["province"], PROVINCE_QUERY)
    assert len(small["countyDashboard"]["towns"]) == 3
    _fake_towns(27, county, start=600)
    large_county, large = _count(people["county"], COUNTY_QUERY, {"code": "320685"})
    large_province, province = _count(people["province"], PROVINCE_QUERY)
    assert len(large["countyDashboard"]["towns"]) == 30
    assert len(province["provinceDashboard"]["towns"]) == 30
    assert (large_county, large_province) == (small_county, small_province)


def test_towns_behind_target_come_first_and_totals_add_up(towns, people):
    _fake_towns(6, County.objects.get(code="320685"))
    data = graphql(people["county"], COUNTY_QUERY, {"code": "320685"})["data"]["countyDashboard"]
    flags = [t["behindTarget"] for t in data["towns"]]
    assert flags == sorted(flags, reverse=True) and True in flags and False in flags
    totals = data["totals"]
    assert totals["towns"] == 6 and totals["eligiblePeople"] == 6000
    assert totals["enrolledPeople"] == sum(400 + 50 * (n % 5) for n in range(6))
    assert totals["townsBehindTarget"] == flags.count(True)
    assert data["towns"][0]["targets"]["source"] == "default"
    assert data["towns"][0]["monthsOfPaymentsCovered"] == 16.7  # 100,000 / (30,000 / 5)


def test_towns_likely_to_run_dry_are_counted_at_every_level(towns, people):
    # given 10 towns whose run-dry probabilities are 0%, 1.5% … 13.5%: three above the 10% warning line
    _fake_towns(10, County.objects.get(code="320685"))
    # then the county, its city and the province each count three towns at risk
    county = graphql(people["county"], COUNTY_QUERY, {"code": "320685"})["data"]["countyDashboard"]
    assert county["totals"]["townsAtRisk"] == 3
    province = graphql(people["province"], PROVINCE_QUERY)["data"]["provinceDashboard"]
    assert [c["totals"]["townsAtRisk"] for c in province["counties"]] == [3]
    assert [c["totals"]["townsAtRisk"] for c in province["cities"]] == [3]
    # and the province's export has the count in its county and city sheets
    result = graphql(
        people["province"],
        'query { dashboardExport(schemeYear: 2022, provinceCode: "32") { base64 } }',
    )["data"]["dashboardExport"]
    book = load_workbook(io.BytesIO(base64.b64decode(result["base64"])))
    for name in ("按县", "按市"):
        header, row = list(book[name].iter_rows(values_only=True))[:2]
        assert row[header.index("资金风险（用尽概率>10%）")] == 3


def test_targets_from_the_level_above_override_the_policy(towns, people):
    county = County.objects.get(code="320685")
    _fake_towns(2, county)
    first, second = Town.objects.filter(code__in=["320685500", "320685501"]).order_by("code")
    actions.set_county_target(county, 2022, village_bp=None, household_bp=None, person_bp=3000, actor=None)
    actions.set_town_target(first, 2022, village_bp=None, household_bp=None, person_bp=9000, actor=None)
    data = graphql(people["county"], COUNTY_QUERY, {"code": "320685"})["data"]["countyDashboard"]
    by_code = {t["townCode"]: t for t in data["towns"]}
    assert by_code[first.code]["targets"] == {"personSharePercent": 90.0, "source": "county"}
    assert by_code[first.code]["behindTarget"] is True
    assert by_code[second.code]["targets"] == {"personSharePercent": 30.0, "source": "province"}
    assert by_code[second.code]["behindTarget"] is False


def test_set_targets_through_the_api(towns, people):
    mutation = """mutation($t: TargetsInput!) { setTownTargets(townCode: "320685107", schemeYear: 2022, targets: $t)
      { ok errors { field code } } }"""
    ok = graphql(people["county"], mutation, {"t": {"personSharePercent": "55.5"}})["data"]["setTownTargets"]
    assert ok == {"ok": True, "errors": []}
    bad = graphql(people["county"], mutation, {"t": {"personSharePercent": "120"}})["data"]["setTownTargets"]
    assert bad["errors"] == [{"field": "targets.personSharePercent", "code": "INVALID_SHARE"}]


def test_province_dashboard_groups_by_city_and_county(demo_towns, people):
    tasks.refresh_all_rollups()
    data = graphql(people["province"], PROVINCE_QUERY)["data"]["provinceDashboard"]
    assert [c["name"] for c in data["counties"]] == ["海安市"]
    assert [c["name"] for c in data["cities"]] == ["南通市"]
    assert data["totals"]["towns"] == 2  # 新胜镇 is in another province
    assert data["counties"][0]["totals"]["enrolledPeople"] == data["totals"]["enrolledPeople"] > 0


def test_dashboard_export_is_an_xlsx_of_the_towns(demo_towns, people):
    tasks.refresh_all_rollups()
    result = graphql(
        people["county"],
        'query { dashboardExport(schemeYear: 2022, countyCode: "320685") { fileName contentType base64 } }',
    )["data"]["dashboardExport"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(result["base64"]))).active
    names = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert {"大公镇", "雅周镇"} <= set(names) and names[-1] == "合计"


def test_monthly_trend_series(demo_towns, people):
    town = demo_towns["320685107"]
    for month_end in ("2022-11-30", "2022-12-31", "2023-01-31"):
        tasks.monthly_snapshots(month_end)
    refresh.refresh_town(town)
    points = graphql(
        people["town_admin"],
        'query { townTrend(townCode: "320685107", schemeYear: 2022) { asOf kind enrolledPeople balance } }',
    )["data"]["townTrend"]
    assert [p["kind"] for p in points] == ["monthly", "monthly", "monthly", "current"]
    assert [p["asOf"] for p in points[:3]] == ["2022-11-30", "2022-12-31", "2023-01-31"]
    assert TownRollup.objects.filter(town=town, kind=RollupKind.MONTHLY).count() == 3


def test_province_judges_targets_in_the_database_as_the_county_does(towns, people):
    county = County.objects.get(code="320685")
    _fake_towns(12, county)
    first = Town.objects.get(code="320685500")
    actions.set_county_target(county, 2022, village_bp=None, household_bp=3500, person_bp=4500, actor=None)
    actions.set_town_target(first, 2022, village_bp=9000, household_bp=None, person_bp=None, actor=None)
    by_county = graphql(people["county"], COUNTY_QUERY, {"code": "320685"})["data"]["countyDashboard"]
    query = (
        'query { provinceDashboard(provinceCode: "32", schemeYear: 2022, townLimit: 5) { towns { townCode '
    )
    query += (
        "behindTarget } counties { totals { towns townsBehindTarget enrolledPeople } } totals { towns } } }"
    )
    by_province = graphql(people["province"], query)["data"]["provinceDashboard"]
    expected = [(t["townCode"], t["behindTarget"]) for t in by_county["towns"]]
    assert [(t["townCode"], t["behindTarget"]) for t in by_province["towns"]] == expected[:5]
    assert by_province["totals"]["towns"] == 12
    assert by_province["counties"][0]["totals"] == {
        "towns": 12,
        "townsBehindTarget": by_county["totals"]["townsBehindTarget"],
        "enrolledPeople": by_county["totals"]["enrolledPeople"],
    }
