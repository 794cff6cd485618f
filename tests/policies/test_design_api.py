"""The scheme design API (town schema): schemeDesign, solvencySimulation, schemeDesignSave; typed errors."""

from __future__ import annotations

import pytest
from django.db import connection

from mutualaid.platform.accounts.roles import Role
from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.models import PolicyVersion
from tests.factories import graphql, make_user
from tests.policies.test_design_inputs import town_data  # noqa: F401 (fixture)

DESIGN = """
query($input: SchemeDesignInput!, $simulate: Boolean) {
  schemeDesign(input: $input, simulate: $simulate, runs: 300) {
    errors { field code message }
    design { participants target expected targetReached rateSource weightSource
             fund { income serviceFee reserve available }
             lines { drgCode amount }
             solvency { runs runDryProbability mean p95 expectedCarryOver
                        likeliestRunDryMonth { month starts } runDryByMonth { month probability } } }
  }
}
"""
SIMULATE = """
query($policyId: ID!, $rates: [DrgRateInput!]) {
  solvencySimulation(policyId: $policyId, rates: $rates, runs: 200) {
    errors { field code }
    simulation { runs fund mean runDryProbability }
    design { expected rateSource }
  }
}
"""
SAVE = """
mutation($input: SchemeDesignInput!) {
  schemeDesignSave(input: $input) {
    errors { field code message }
    policy { version status }
    design { expected }
  }
}
"""


def _gid(policy) -> str:
    from graphql_relay import to_global_id

    return to_global_id("PolicyVersion", policy.pk)


def test_a_town_admin_designs_and_simulates(town_data, xinsheng):  # noqa: F811
    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)

    data = graphql(admin, DESIGN, {"input": {"schemeYear": 2022}, "simulate": True}, town=xinsheng)

    result = data["data"]["schemeDesign"]
    assert result["errors"] == []
    design = result["design"]
    assert design["participants"] == 300 and design["rateSource"] == "reference"
    assert design["fund"]["income"] == "35000.00" and design["fund"]["serviceFee"] == "3500.00"
    assert abs(float(design["expected"]) - float(design["target"])) <= float(design["target"]) / 1000
    assert design["solvency"]["runs"] == 300
    assert len(design["solvency"]["runDryByMonth"]) == 12


@pytest.mark.parametrize(
    "variables,code,field",
    [
        ({"schemeYear": 2022, "reserveBp": 10000}, "RESERVE_OUT_OF_RANGE", "reserveBp"),
        (
            {"schemeYear": 2022, "rates": [{"drgCode": "ES31", "admissionsPerThousand": "-1"}]},
            "INVALID_RATE",
            "rates.0",
        ),
        (
            {"schemeYear": 2022, "rates": [{"drgCode": "ZZ99", "admissionsPerThousand": "1"}]},
            "UNKNOWN_DRG_CODE",
            "rates",
        ),
        ({"schemeYear": 2031}, "NO_POLICY", "schemeYear"),
        ({"schemeYear": 2022, "weightSource": "CITY", "city": "火星"}, "NOT_FOUND", "city"),
    ],
)
def test_bad_input_is_a_typed_error(town_data, xinsheng, variables, code, field):  # noqa: F811
    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)
    data = graphql(admin, DESIGN, {"input": variables}, town=xinsheng)
    result = data["data"]["schemeDesign"]
    assert result["design"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]


def test_too_many_runs_is_a_typed_error(town_data, xinsheng):  # noqa: F811
    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)
    query = "query($id: ID!) { solvencySimulation(policyId: $id, runs: 20001) { errors { field code } } }"
    data = graphql(admin, query, {"id": _gid(town_data)}, town=xinsheng)
    assert data["data"]["solvencySimulation"]["errors"] == [{"field": "runs", "code": "INVALID_RUNS"}]


def test_zero_participants_is_a_typed_error(xinsheng_policy, xinsheng):
    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)
    data = graphql(admin, DESIGN, {"input": {"schemeYear": 2022}}, town=xinsheng)
    assert [e["code"] for e in data["data"]["schemeDesign"]["errors"]] == ["NO_PARTICIPANTS"]


def test_a_published_table_is_simulated_with_given_rates(town_data, xinsheng):  # noqa: F811
    finance = make_user(Role.TOWN_FINANCE, town=xinsheng)
    rates = [
        {"drgCode": "ES31", "admissionsPerThousand": "20"},
        {"drgCode": "FM19", "admissionsPerThousand": "3"},
    ]

    data = graphql(finance, SIMULATE, {"policyId": _gid(town_data), "rates": rates}, town=xinsheng)

    result = data["data"]["solvencySimulation"]
    assert result["errors"] == []
    assert result["design"]["rateSource"] == "upload"
    # 300 people: ES31 2,500 yuan × 6 stays + FM19 8,000 yuan × 0.9 stays
    assert float(result["design"]["expected"]) == pytest.approx(2500 * 6 + 8000 * 0.9)
    assert result["simulation"]["runs"] == 200


def test_saving_a_design_makes_an_amendment_draft(town_data, xinsheng):  # noqa: F811
    admin = make_user(Role.TOWN_ADMIN, town=xinsheng)

    data = graphql(admin, SAVE, {"input": {"schemeYear": 2022, "reserveBp": 500}}, town=xinsheng)

    result = data["data"]["schemeDesignSave"]
    assert result["errors"] == []
    assert result["policy"] == {"version": town_data.version + 1, "status": "DRAFT"}
    connection.set_tenant(xinsheng)
    assert PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED).count() == 1


@pytest.mark.parametrize("role", [Role.TOWN_FINANCE, Role.VILLAGE_COORDINATOR, None])
def test_only_the_town_admin_saves_a_design(town_data, xinsheng, role):  # noqa: F811
    scope = {"village_code": "500152116201"} if role == Role.VILLAGE_COORDINATOR else {}
    user = make_user(role, town=xinsheng, **scope) if role else None
    data = graphql(user, SAVE, {"input": {"schemeYear": 2022}}, town=xinsheng)
    assert [e["code"] for e in data["data"]["schemeDesignSave"]["errors"]] == ["PERMISSION_DENIED"]
    connection.set_tenant(xinsheng)
    assert PolicyVersion.objects.count() == 1


def test_other_towns_admins_cannot_read_a_design(town_data, xinsheng, dagong):  # noqa: F811
    other = make_user(Role.TOWN_ADMIN, town=dagong)
    data = graphql(other, DESIGN, {"input": {"schemeYear": 2022}}, town=xinsheng)
    assert data["data"] is None or data["data"]["schemeDesign"] is None
    assert data["errors"]


def test_the_county_bureau_sees_a_towns_solvency(town_data, xinsheng):  # noqa: F811
    from mutualaid.platform.regions.models import County

    county = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152"))
    data = graphql(county, SIMULATE, {"policyId": _gid(town_data)}, town=xinsheng)
    result = data["data"]["solvencySimulation"]
    assert result["errors"] == [] and 0 <= result["simulation"]["runDryProbability"] <= 1
