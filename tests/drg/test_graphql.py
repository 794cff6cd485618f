"""The catalogue in the platform GraphQL schema: any signed-in user reads it, anonymous is refused, lists cost
a constant number of queries, and search finds codes by prefix and names by substring."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from mutualaid.drg.models import Drg
from tests.drg.conftest import needs_data
from tests.factories import graphql, make_user

pytestmark = needs_data

WHO = [
    "staff",
    "province_supervisor",
    "county_bureau",
    "town_admin",
    "town_finance",
    "village_coordinator",
    "firm_reviewer",
    "member",
    "no_role",
    "anonymous",
]

ROOT_FIELDS = {
    "drgCatalogueVersions": "{ drgCatalogueVersions { totalCount edges { node { code drgCount } } } }",
    "drgMdcs": '{ drgMdcs(version: "chs-drg-1.1", first: 1) { totalCount edges { node { code } } } }',
    "drgAdrgs": '{ drgAdrgs(version: "chs-drg-1.1", mdcCode: "MDCF", first: 1) { totalCount } }',
    "drgs": '{ drgs(version: "chs-drg-2.0", search: "FM1") { totalCount edges { node { code name } } } }',
    "drg": '{ drg(version: "chs-drg-1.1", code: "FM19") { code name } }',
    "icdCodes": '{ icdCodes(search: "I21.0", first: 1) { totalCount } }',
    "drgCityWeights": '{ drgCityWeights(drgCode: "FM19") { totalCount } }',
    "drgCityWeightTables": "{ drgCityWeightTables { totalCount } }",
    "drgCatalogueVersion": '{ drgCatalogueVersion(code: "chs-drg-2.0") { name } }',
}


@pytest.mark.parametrize("who", WHO)
def test_every_signed_in_user_reads_the_catalogue_and_anonymous_is_refused(catalogues, people, who):
    for field, query in ROOT_FIELDS.items():
        result = graphql(people[who], query)
        if who == "anonymous":
            assert result["data"] is None or result["data"][field] is None, (field, result)
            assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
            assert result["errors"][0]["message"] == "请先登录"
        else:
            assert "errors" not in result, (field, who, result)
            assert result["data"][field] is not None, (field, who)


def test_anonymous_cannot_read_catalogue_nodes_by_global_id(catalogues):
    drg = Drg.objects.get(version__code="chs-drg-1.1", code="FM19")
    query = "query($id: ID!) { node(id: $id) { ... on Drg { code name } } }"
    variables = {"id": to_global_id("Drg", drg.pk)}
    assert graphql(None, query, variables)["data"]["node"] is None
    assert graphql(make_user(), query, variables)["data"]["node"] == {
        "code": "FM19",
        "name": "经皮冠状动脉支架植入",
    }


def test_the_same_code_has_each_versions_name(catalogues):
    user = make_user()
    query = """{ a: drg(version: "chs-drg-1.1", code: "FM19") { name split splitDisplay adrg { code } mdc { code } }
                 b: drg(version: "chs-drg-2.0", code: "fm19") { name version { code name } } }"""
    data = graphql(user, query)["data"]
    assert data["a"] == {
        "name": "经皮冠状动脉支架植入",
        "split": "NOT_SPLIT",
        "splitDisplay": "未细分",
        "adrg": {"code": "FM1"},
        "mdc": {"code": "MDCF"},
    }
    assert data["b"] == {
        "name": "经皮大血管复杂手术",
        "version": {"code": "chs-drg-2.0", "name": "CHS-DRG 2.0"},
    }


def test_drg_search_by_code_prefix_and_by_chinese_name(catalogues):
    user = make_user()
    query = """query($v: String!, $s: String, $split: DrgSplit) {
      drgs(version: $v, search: $s, split: $split, first: 50) { totalCount edges { node { code name split } } } }"""

    def search(**variables):
        return graphql(user, query, {"v": "chs-drg-1.1", **variables})["data"]["drgs"]

    by_prefix = search(s="es2")
    assert [e["node"]["code"] for e in by_prefix["edges"]] == ["ES21", "ES23", "ES25"]
    by_name = search(s="心力衰竭")
    assert by_name["totalCount"] >= 1 and all("心力衰竭" in e["node"]["name"] for e in by_name["edges"])
    with_mcc = search(s="ES2", split="MCC")
    assert [e["node"]["code"] for e in with_mcc["edges"]] == ["ES21"]


def test_icd_search_by_code_prefix_and_name_with_grey_flag(catalogues):
    user = make_user()
    query = """query($s: String, $kind: IcdKind, $grey: Boolean) {
      icdCodes(search: $s, kind: $kind, grey: $grey, first: 5) { totalCount edges { node { code name kind grey } } } }"""
    prefix = graphql(user, query, {"s": "i21.0", "kind": "DIAGNOSIS"})["data"]["icdCodes"]
    assert prefix["edges"][0]["node"] == {
        "code": "I21.000",
        "name": "前壁急性透壁性心肌梗死",
        "kind": "DIAGNOSIS",
        "grey": True,
    }
    assert all(e["node"]["code"].startswith("I21.0") for e in prefix["edges"])
    named = graphql(user, query, {"s": "阑尾切除", "kind": "PROCEDURE", "grey": False})["data"]["icdCodes"]
    assert named["totalCount"] > 0
    assert all("阑尾切除" in e["node"]["name"] and not e["node"]["grey"] for e in named["edges"])


def test_city_weights_of_a_drg(catalogues):
    query = """{ drgCityWeights(drgCode: "ES21", city: "盐城") { totalCount edges { node {
        drgCode relativeWeight table { city year version { code } } drg { name }
        paymentStandards { hospitalLevel insuranceType amount } } } } }"""
    data = graphql(make_user(), query)["data"]["drgCityWeights"]
    assert data["totalCount"] == 1
    node = data["edges"][0]["node"]
    assert node["table"] == {"city": "盐城", "year": 2023, "version": {"code": "chs-drg-1.1"}}
    assert node["drg"]["name"] == "肺真菌病，伴严重并发症或合并症"
    assert node["relativeWeight"] and {p["hospitalLevel"] for p in node["paymentStandards"]} == {
        "二级",
        "三级",
    }
    assert all(p["amount"].count(".") == 1 for p in node["paymentStandards"])


TREE = """query($first: Int!) { drgMdcs(version: "chs-drg-1.1", first: $first) { totalCount edges { node {
  code name version { code mdcCount }
  adrgs { code name mdc { code } drgs { code name split mdc { code } adrg { code }
    cityWeights { relativeWeight table { city } paymentStandards { amount } } } } } } } }"""


def _tree_queries(user, first: int) -> tuple[int, int, int]:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/graphql/",
            json.dumps({"query": TREE, "variables": {"first": first}}),
            content_type="application/json",
        )
    data = response.json()
    assert "errors" not in data, data
    mdcs = data["data"]["drgMdcs"]["edges"]
    drgs = sum(len(a["drgs"]) for m in mdcs for a in m["node"]["adrgs"])
    return len(captured), len(mdcs), drgs


def test_the_tree_costs_the_same_queries_for_2_and_26_mdcs(catalogues, settings):
    # The whole tree with city weights is far above the request cost limit; what is measured here is that the
    # loaders keep the SQL constant, so the limit is lifted for this test.
    settings.GRAPHQL_MAX_COST = 10**9
    user = make_user()
    _tree_queries(user, 1)  # warm the session and user caches
    few, shown_few, drgs_few = _tree_queries(user, 2)
    many, shown_many, drgs_many = _tree_queries(user, 26)
    assert (shown_few, shown_many) == (2, 26) and drgs_many == 628 and drgs_few < drgs_many
    assert few == many


def test_adrg_and_drg_pages_cost_the_same_queries_at_any_page_size(catalogues):
    user = make_user()
    client = Client()
    client.force_login(user)
    query = """query($first: Int!) { drgs(version: "chs-drg-2.0", first: $first) { totalCount edges { node {
        code adrg { code mdc { code } } mdc { name } version { code drgCount } } } } }"""

    def count(first):
        with CaptureQueriesContext(connection) as captured:
            body = client.post(
                "/graphql/",
                json.dumps({"query": query, "variables": {"first": first}}),
                content_type="application/json",
            ).json()
        assert "errors" not in body
        return len(captured), len(body["data"]["drgs"]["edges"])

    count(1)
    assert count(5)[0] == count(100)[0]
