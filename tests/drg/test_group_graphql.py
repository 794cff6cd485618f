"""``drgGroup`` on the platform schema: signed-in users group a stay and read the reasons; bad input and stays
that cannot be grouped come back as typed errors; anonymous visitors are refused."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.drg.conftest import needs_data
from tests.factories import graphql, make_user

pytestmark = needs_data

QUERY = """query($version: String!, $input: DrgStayInput!) {
  drgGroup(version: $version, input: $input) {
    version
    result { status mdc mdcName adrg adrgName drg drgName split reasons }
    errors { field code message }
  }
}"""


def _group(user, version="chs-drg-1.1", **stay):
    result = graphql(user, QUERY, {"version": version, "input": stay})
    assert "errors" not in result, result
    return result["data"]["drgGroup"]


@pytest.mark.parametrize("version", ["chs-drg-1.1", "chs-drg-2.0"])
def test_a_signed_in_user_groups_a_stay_and_reads_why(catalogues, version):
    data = _group(
        make_user(),
        version,
        sex="MALE",
        age=30,
        diagnoses=["S06.500", "S27.000"],
        procedures=[],
        lengthOfStay=12,
    )
    assert data["errors"] == []
    result = data["result"]
    assert (result["status"], result["mdc"], result["adrg"]) == ("OK", "MDCZ", "ZZ1")
    assert result["drg"].startswith("ZZ1") and result["drgName"]
    assert result["split"] in ("MCC", "NONE", "NOT_SPLIT", "CC")
    assert result["reasons"][0].startswith("进入 MDCZ")
    assert result["reasons"][-1].startswith(f"DRG {result['drg']}")


def test_a_newborn_is_grouped_by_days_and_birth_weight(catalogues):
    result = _group(make_user(), age=0, ageDays=3, birthWeight=3100, sex="FEMALE", diagnoses=["P22.000"])[
        "result"
    ]
    assert (result["mdc"], result["adrg"]) == ("MDCP", "PR1")


def test_stays_that_cannot_be_grouped_say_why_with_a_typed_code(catalogues):
    user = make_user()
    conflict = _group(user, sex="FEMALE", age=60, diagnoses=["N40.x00"])
    assert conflict["errors"] == [
        {"field": "sex", "code": "SEX_CONFLICT", "message": conflict["result"]["reasons"][-1]}
    ]
    assert (conflict["result"]["status"], conflict["result"]["drg"]) == ("SEX_CONFLICT", "0000")
    unknown = _group(user, sex="MALE", age=60, diagnoses=["J18.900", "NOPE.1"])
    assert unknown["errors"][0]["field"] == "diagnoses.1" and unknown["errors"][0]["code"] == "UNKNOWN_CODE"
    grey = _group(user, sex="MALE", age=60, diagnoses=["A00.000"])
    assert grey["errors"][0]["code"] == "GREY_PRINCIPAL_DIAGNOSIS"
    assert _group(user, sex="MALE", age=60, diagnoses=[])["errors"][0]["code"] == "REQUIRED"


def test_bad_input_is_refused_before_grouping(catalogues):
    user = make_user()
    bad = _group(user, sex="MALE", age=-1, birthWeight=-3, diagnoses=["J18.900"])
    assert bad["result"] is None
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("age", "INVALID_VALUE"),
        ("birthWeight", "INVALID_VALUE"),
    }
    missing = _group(user, "chs-drg-9.9", diagnoses=["J18.900"])
    assert missing["result"] is None
    assert missing["errors"][0]["field"] == "version" and missing["errors"][0]["code"] == "UNKNOWN_CATALOGUE"


def test_anonymous_visitors_are_refused(catalogues):
    result = graphql(None, QUERY, {"version": "chs-drg-1.1", "input": {"diagnoses": ["J18.900"]}})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_grouping_costs_two_small_queries_once_the_grouper_is_built(catalogues):
    user = make_user()
    _group(user, sex="MALE", age=60, diagnoses=["I21.900"])  # builds and caches the grouper
    with CaptureQueriesContext(connection) as simple:
        _group(user, sex="MALE", age=60, diagnoses=["I21.900"])
    with CaptureQueriesContext(connection) as larger:
        _group(user, sex="MALE", age=60, diagnoses=["I21.900", "J96.000", "E11.900"], procedures=["36.0700"])
    assert len(larger) == len(simple)
    grouping = [q["sql"] for q in larger.captured_queries if "drg_" in q["sql"]]
    assert len(grouping) == 2, grouping  # the version's and the ICD lists' import stamps


def test_odd_but_valid_input_gets_typed_answers(catalogues):
    user = make_user()
    blank = _group(user, diagnoses=["", "  "], procedures=None, sex=None)
    assert blank["errors"][0]["code"] == "REQUIRED" and blank["errors"][0]["field"] == "diagnoses"
    huge = _group(user, age=2**31 - 1, ageDays=2**31 - 1, lengthOfStay=-1, diagnoses=["J18.900"])
    assert {e["field"] for e in huge["errors"]} == {"age", "ageDays", "lengthOfStay"}
    lower = _group(user, sex="MALE", age=70, diagnoses=["j18.900"], procedures=[" "])
    assert lower["errors"] == [] and lower["result"]["mdc"] == "MDCE"
