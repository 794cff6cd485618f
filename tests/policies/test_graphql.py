"""The town schema's policy API: fields, typed errors, yuan strings, default marks, pagination, query counts."""

from __future__ import annotations

import base64
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from mutualaid.policies import actions
from mutualaid.policies.models import PolicyVersion
from tests.factories import graphql

POLICY_FIELDS = """id schemeYear version status statusName feePerPerson defaultedFields defaultedLabel
  fundingShares { source sourceName amount isDefault }
  specialGroups { category treatment paidBy isDefault }
  thresholds { insuranceType basis amount isDefault }
  registerSnapshotDate enrolmentOpens enrolmentCloses coverageStart coverageEnd claimDeadline
  perStayMinimum perStayMaximum yearlyCap excludedCauses designatedHospitalsOnly mainlandOnly
  drgCatalogueVersion unlistedDrgRule serviceFeeKind serviceFeeBp reviewWorkingDays
  targetVillageShareBp targetHouseholdShareBp targetPersonShareBp surplusCarryOver
  effectiveFrom amendmentReason basedOnVersion subsidyTableSize publishingIssues { field code message }"""


def gid(policy) -> str:
    return to_global_id("PolicyVersion", policy.pk)


def in_town(town):
    connection.set_tenant(town)


def test_policy_in_force_shows_the_xinsheng_document_in_yuan(xinsheng_policy, xinsheng):
    from tests.factories import make_user

    admin = make_user("town_admin", town=xinsheng)
    query = f"{{ policyInForce(schemeYear: 2022) {{ {POLICY_FIELDS} }} }}"

    data = graphql(admin, query, town=xinsheng)

    assert "errors" not in data, data
    policy = data["data"]["policyInForce"]
    assert policy["feePerPerson"] == "45.00"
    assert policy["fundingShares"][0] == {
        "source": "PERSON",
        "sourceName": "个人缴费",
        "amount": "25.00",
        "isDefault": False,
    }
    assert {s["source"]: s["isDefault"] for s in policy["fundingShares"][1:]} == {
        "TOWN_FINANCE": True,
        "CHARITY": True,
        "ENTERPRISE": True,
    }
    assert policy["specialGroups"][0] == {
        "category": "DIBAO",
        "treatment": "EXEMPT_PERSON_SHARE",
        "paidBy": "TOWN_FINANCE",
        "isDefault": False,
    }
    assert policy["thresholds"][2] == {
        "insuranceType": "NONE",
        "basis": "TOTAL_COST",
        "amount": "7000.00",
        "isDefault": False,
    }
    assert (policy["perStayMinimum"], policy["perStayMaximum"], policy["yearlyCap"]) == (
        "300.00",
        "50000.00",
        "100000.00",
    )
    assert policy["enrolmentCloses"] == "2022-10-31"
    assert policy["reviewWorkingDays"] == 5
    assert policy["targetPersonShareBp"] == 5000
    assert (
        "subsidyTable" in policy["defaultedFields"] and "fundingShares.charity" in policy["defaultedFields"]
    )
    assert policy["defaultedLabel"] == "文件未规定"
    assert policy["publishingIssues"] == []


def test_policy_for_date_answers_which_version_judges_an_admission(xinsheng_policy, xinsheng):
    from tests.factories import make_user

    draft = actions.amend(xinsheng_policy, date(2023, 3, 1), "提高定额", None)
    actions.publish(draft, None)
    reviewer_query = "query($d: Date!) { policyForDate(date: $d) { version effectiveFrom amendmentReason } }"
    admin = make_user("town_admin", town=xinsheng)

    before = graphql(admin, reviewer_query, {"d": "2023-02-28"}, town=xinsheng)["data"]["policyForDate"]
    after = graphql(admin, reviewer_query, {"d": "2023-03-01"}, town=xinsheng)["data"]["policyForDate"]
    outside = graphql(admin, reviewer_query, {"d": "2024-01-01"}, town=xinsheng)["data"]["policyForDate"]

    assert before == {"version": 1, "effectiveFrom": None, "amendmentReason": ""}
    assert after == {"version": 2, "effectiveFrom": "2023-03-01", "amendmentReason": "提高定额"}
    assert outside is None


def test_draft_workflow_through_the_api(people, dagong, drg_catalogue):
    admin = people["town_admin"]

    def call(query, variables=None):
        data = graphql(admin, query, variables, town=dagong)
        assert "errors" not in data, data
        return next(iter(data["data"].values()))

    created = call(
        "mutation { policyDraftCreate(schemeYear: 2024) { policy { id version status } errors { code } } }"
    )
    assert created["errors"] == [] and created["policy"]["status"] == "DRAFT"
    pid = created["policy"]["id"]
    updated = call(
        """mutation($id: ID!, $input: PolicyDraftInput!) { policyDraftUpdate(id: $id, input: $input) {
             policy { feePerPerson perStayMinimum coverageStart excludedCauses } errors { field code } } }""",
        {
            "id": pid,
            "input": {
                "feePerPerson": "45",
                "perStayMinimum": "300",
                "perStayMaximum": "50000",
                "yearlyCap": "100000",
                "registerSnapshotDate": "2024-08-31",
                "enrolmentOpens": "2024-09-15",
                "enrolmentCloses": "2024-10-31",
                "coverageStart": "2024-11-01",
                "coverageEnd": "2025-10-31",
                "claimDeadline": "2025-12-31",
                "drgCatalogueVersion": "chs-drg-1.1",
                "excludedCauses": ["OUTPATIENT", "WORK_INJURY"],
                "targetPersonShareBp": 5000,
            },
        },
    )
    assert updated["errors"] == []
    assert updated["policy"]["feePerPerson"] == "45.00"
    assert updated["policy"]["excludedCauses"] == ["OUTPATIENT", "WORK_INJURY"]
    shares = call(
        """mutation($id: ID!) { policyFundingSharesSet(id: $id, shares: [{source: PERSON, amount: "25"},
             {source: TOWN_FINANCE, amount: "20"}]) { policy { fundingShares { source amount } } errors { code } } }""",
        {"id": pid},
    )
    assert shares["policy"]["fundingShares"] == [
        {"source": "PERSON", "amount": "25.00"},
        {"source": "TOWN_FINANCE", "amount": "20.00"},
    ]
    groups = call(
        """mutation($id: ID!) { policySpecialGroupsSet(id: $id, groups: [{category: DIBAO,
             treatment: EXEMPT_PERSON_SHARE, paidBy: TOWN_FINANCE}]) { errors { code } } }""",
        {"id": pid},
    )
    assert groups["errors"] == []
    thresholds = call(
        """mutation($id: ID!) { policyThresholdsSet(id: $id, thresholds: [
             {insuranceType: RESIDENT, basis: OUT_OF_POCKET, amount: "3500"},
             {insuranceType: EMPLOYEE, basis: OUT_OF_POCKET, amount: "3500"},
             {insuranceType: NONE, basis: TOTAL_COST, amount: "7000"}]) { errors { code } } }""",
        {"id": pid},
    )
    assert thresholds["errors"] == []
    csv = "DRG编码,DRG名称,补助金额（元）\nES31,肺炎,2500\nFM19,支架,8000\n".encode()
    uploaded = call(
        """mutation($id: ID!, $f: String!, $c: String!) { policySubsidyTableUpload(id: $id, filename: $f,
             contentBase64: $c) { policy { subsidyTableSize } errors { field code message } } }""",
        {"id": pid, "f": "t.csv", "c": base64.b64encode(csv).decode()},
    )
    assert uploaded == {"policy": {"subsidyTableSize": 2}, "errors": []}
    scaled = call(
        """mutation($id: ID!) { policySubsidyTableScale(id: $id, factor: "1.1") {
             policy { subsidyTable(first: 10) { totalCount edges { node { drgCode amount } } } } errors { code } } }""",
        {"id": pid},
    )
    assert [e["node"] for e in scaled["policy"]["subsidyTable"]["edges"]] == [
        {"drgCode": "ES31", "amount": "2750.00"},
        {"drgCode": "FM19", "amount": "8800.00"},
    ]
    published = call(
        "mutation($id: ID!) { policyPublish(id: $id) { policy { status publishedAt } errors { field code } } }",
        {"id": pid},
    )
    assert published["errors"] == [] and published["policy"]["status"] == "PUBLISHED"
    again = call("mutation($id: ID!) { policyPublish(id: $id) { errors { field code } } }", {"id": pid})
    assert again["errors"] == [{"field": "policy", "code": "PUBLISHED_IMMUTABLE"}]
    amended = call(
        """mutation($id: ID!) { policyAmend(id: $id, effectiveFrom: "2025-03-01", reason: "测算调整") {
             policy { version status basedOnVersion effectiveFrom } errors { code } } }""",
        {"id": pid},
    )
    assert amended["policy"] == {
        "version": 2,
        "status": "DRAFT",
        "basedOnVersion": 1,
        "effectiveFrom": "2025-03-01",
    }


def test_publish_returns_every_error_with_field_paths(people, dagong, drg_catalogue):
    in_town(dagong)
    draft = actions.apply_preset("haian-2022", None)
    actions.update_draft(draft, None, per_stay_min_fen=60000_00, fee_per_person_fen=12000)
    connection.set_schema_to_public()

    data = graphql(
        people["town_admin"],
        "mutation($id: ID!) { policyPublish(id: $id) { policy { id } errors { field code message } } }",
        {"id": gid(draft)},
        town=dagong,
    )["data"]["policyPublish"]

    found = {(e["field"], e["code"]) for e in data["errors"]}
    assert ("fundingShares", "SHARES_NOT_EQUAL_FEE") in found
    assert ("perStayMinimum", "MINIMUM_ABOVE_MAXIMUM") in found
    assert ("subsidyTable[OR19].amount", "SUBSIDY_OUT_OF_RANGE") in found
    assert data["policy"] is None
    in_town(dagong)
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"


def test_bad_money_input_is_a_typed_error_and_writes_nothing(people, dagong):
    in_town(dagong)
    draft = actions.create_draft(2024, None)

    data = graphql(
        people["town_admin"],
        """mutation($id: ID!) { policyDraftUpdate(id: $id, input: {feePerPerson: "45.555", yearlyCap: "100000"}) {
             errors { field code } } }""",
        {"id": gid(draft)},
        town=dagong,
    )["data"]["policyDraftUpdate"]

    assert data["errors"] == [{"field": "feePerPerson", "code": "INVALID_AMOUNT"}]
    in_town(dagong)
    draft.refresh_from_db()
    assert draft.fee_per_person_fen is None and draft.yearly_cap_fen is None


def test_upload_with_bad_rows_reports_row_numbers_and_writes_nothing(people, dagong, drg_catalogue):
    in_town(dagong)
    draft = actions.apply_preset("haian-2022", None)
    before = draft.subsidy_entries.count()
    content = base64.b64encode("DRG编码,补助金额\nES31,abc\n,100\n".encode()).decode()

    errors = graphql(
        people["town_admin"],
        """mutation($id: ID!, $c: String!) { policySubsidyTableUpload(id: $id, filename: "t.csv", contentBase64: $c) {
             errors { field code message } } }""",
        {"id": gid(draft), "c": content},
        town=dagong,
    )["data"]["policySubsidyTableUpload"]["errors"]

    assert {(e["field"], e["code"]) for e in errors} == {
        ("file.row[2].amount", "INVALID_AMOUNT"),
        ("file.row[3].drgCode", "INVALID_ROW"),
    }
    in_town(dagong)
    assert draft.subsidy_entries.count() == before


def test_wrong_file_type_is_a_typed_error(people, dagong, drg_catalogue):
    in_town(dagong)
    draft = actions.apply_preset("haian-2022", None)

    errors = graphql(
        people["town_admin"],
        """mutation($id: ID!) { policySubsidyTableUpload(id: $id, filename: "t.doc", contentBase64: "AAAA") {
             errors { field code } } }""",
        {"id": gid(draft)},
        town=dagong,
    )["data"]["policySubsidyTableUpload"]["errors"]

    assert errors == [{"field": "file", "code": "INVALID_FILE_TYPE"}]


def test_subsidy_table_download_and_cost_preview(people, dagong_policy, dagong):
    reader = people["firm_reviewer"]
    pid = gid(dagong_policy)

    file = graphql(
        reader,
        "query($id: ID!) { subsidyTableFile(policyId: $id, format: XLSX) { filename contentType contentBase64 downloadUrl } }",
        {"id": pid},
        town=dagong,
    )["data"]["subsidyTableFile"]
    from mutualaid.policies.subsidy_table import parse_file

    rows = parse_file(file["filename"], base64.b64decode(file["contentBase64"]))
    assert len(rows) == 32 and file["filename"].endswith(".xlsx")
    assert file["downloadUrl"] == f"/t/{dagong.code}/policies/{dagong_policy.pk}/subsidy-table.xlsx"

    preview = graphql(
        reader,
        """query($id: ID!) { subsidyCostPreview(policyId: $id, participants: 20000, admissions: [
             {drgCode: "ES31", admissionsPerThousand: "5"}, {drgCode: "GZ15", admissionsPerThousand: "1"}]) {
             total perPerson feeIncome expectedAdmissions lines { drgCode amount expectedCost inTable } } }""",
        {"id": pid},
        town=dagong,
    )["data"]["subsidyCostPreview"]
    # ES31: 100 stays × 2,500 = 250,000; GZ15 is not in the table and the rule is "the minimum": 20 × 300 = 6,000
    assert preview["total"] == "256000.00"
    assert preview["perPerson"] == "12.80"
    assert preview["feeIncome"] == "2000000.00"
    assert preview["lines"][1] == {
        "drgCode": "GZ15",
        "amount": "300.00",
        "expectedCost": "6000.00",
        "inTable": False,
    }


def test_download_link_serves_the_file_to_readers_only(people, dagong_policy, dagong):
    from django.test import Client

    url = f"/t/{dagong.code}/policies/{dagong_policy.pk}/subsidy-table.csv"
    client = Client()
    client.force_login(people["town_finance"])
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith("\ufeffDRG编码".encode())
    assert Client().get(url).status_code == 404
    outsider = Client()
    outsider.force_login(people["other_town_admin"])
    assert outsider.get(url).status_code == 404


def test_subsidy_table_is_paginated_and_searchable(people, dagong_policy, dagong):
    query = """query($id: ID!, $after: String) { subsidyTable(policyId: $id, first: 10, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { drgCode drgName amount } } } }"""
    first = graphql(people["town_admin"], query, {"id": gid(dagong_policy)}, town=dagong)["data"][
        "subsidyTable"
    ]
    second = graphql(
        people["town_admin"],
        query,
        {"id": gid(dagong_policy), "after": first["pageInfo"]["endCursor"]},
        town=dagong,
    )["data"]["subsidyTable"]

    assert first["totalCount"] == 32 and first["pageInfo"]["hasNextPage"]
    assert first["edges"][0]["node"] == {"drgCode": "AB19", "drgName": "肝移植", "amount": "50000.00"}
    assert second["edges"][0]["node"]["drgCode"] == "ES35"
    search = graphql(
        people["town_admin"],
        'query($id: ID!) { subsidyTable(policyId: $id, search: "RE1") { totalCount } }',
        {"id": gid(dagong_policy)},
        town=dagong,
    )["data"]["subsidyTable"]
    assert search["totalCount"] == 3


def test_scheme_years_and_versions_lists(people, dagong_policy, dagong):
    in_town(dagong)
    actions.amend(dagong_policy, date(2022, 9, 1), "补充说明", None)

    data = graphql(
        people["county_bureau"],
        """{ schemeYears(first: 5) { totalCount edges { node { year hasDraft publishedVersion { version }
             versions { version status } } } }
           policyVersions(schemeYear: 2022, status: DRAFT) { totalCount edges { node { version } } }
           policyPresets { key title schemeYear } }""",
        town=dagong,
    )

    assert "errors" not in data, data
    year = data["data"]["schemeYears"]["edges"][0]["node"]
    assert year == {
        "year": 2022,
        "hasDraft": True,
        "publishedVersion": {"version": 1},
        "versions": [{"version": 1, "status": "PUBLISHED"}, {"version": 2, "status": "DRAFT"}],
    }
    assert data["data"]["policyVersions"]["edges"] == [{"node": {"version": 2}}]
    assert {p["key"] for p in data["data"]["policyPresets"]} == {"xinsheng-2022", "haian-2022"}


def _versions_query_count(user, town) -> tuple[int, int]:
    import json

    from django.test import Client

    client = Client()
    client.force_login(user)
    query = f"{{ policyVersions(first: 50) {{ totalCount edges {{ node {{ {POLICY_FIELDS.replace('publishingIssues { field code message }', '')} }} }} }} }}"
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/t/{town.code}/graphql/", json.dumps({"query": query}), content_type="application/json"
        )
    data = response.json()
    assert "errors" not in data, data
    return len(captured), len(data["data"]["policyVersions"]["edges"])


def test_version_list_costs_the_same_queries_for_2_and_6_versions(people, dagong_policy, dagong):
    in_town(dagong)
    policy = dagong_policy
    actions.publish(actions.amend(policy, date(2022, 9, 1), "一", None), None)
    few, shown_few = _versions_query_count(people["town_admin"], dagong)
    in_town(dagong)
    for year in (2023, 2024, 2025, 2026):
        actions.create_draft(year, None)
    many, shown_many = _versions_query_count(people["town_admin"], dagong)

    assert (shown_few, shown_many) == (2, 6)
    assert few == many


def test_optional_parameters_are_cleared_explicitly_and_nulls_change_nothing(people, dagong, drg_catalogue):
    in_town(dagong)
    draft = actions.apply_preset("haian-2022", None)
    query = """mutation($id: ID!, $clear: [String!]) { policyDraftUpdate(id: $id,
      input: {feePerPerson: null, yearlyCap: "90000"}, clearFields: $clear) {
      policy { feePerPerson yearlyCap targetHouseholdShareBp } errors { field code } } }"""

    cleared = graphql(
        people["town_admin"], query, {"id": gid(draft), "clear": ["targetHouseholdShareBp"]}, town=dagong
    )["data"]["policyDraftUpdate"]
    refused = graphql(
        people["town_admin"], query, {"id": gid(draft), "clear": ["feePerPerson"]}, town=dagong
    )["data"]["policyDraftUpdate"]

    assert cleared == {
        "policy": {"feePerPerson": "100.00", "yearlyCap": "90000.00", "targetHouseholdShareBp": None},
        "errors": [],
    }
    assert refused["errors"] == [{"field": "clearFields", "code": "INVALID"}]


def test_subsidy_table_page_costs_the_same_queries_for_5_and_30_rows(people, dagong_policy, dagong):
    import json

    from django.test import Client

    client = Client()
    client.force_login(people["firm_reviewer"])

    def count(first: int) -> tuple[int, int]:
        query = "query($id: ID!, $n: Int) { subsidyTable(policyId: $id, first: $n) { totalCount edges { node { drgCode drgName amount } } } }"
        body = json.dumps({"query": query, "variables": {"id": gid(dagong_policy), "n": first}})
        with CaptureQueriesContext(connection) as captured:
            data = client.post(f"/t/{dagong.code}/graphql/", body, content_type="application/json").json()
        assert "errors" not in data, data
        return len(captured), len(data["data"]["subsidyTable"]["edges"])

    few, shown_few = count(5)
    many, shown_many = count(30)

    assert (shown_few, shown_many) == (5, 30)
    assert few == many


def test_town_admin_copies_2022_into_2023_changes_fee_and_table_and_publishes(people, dagong_policy, dagong):
    """Given 大公镇's published 2022 policy, the admin starts 2023 from it, edits, and publishes."""
    admin = people["town_admin"]
    table_size = dagong_policy.subsidy_entries.count()

    def call(query, variables=None):
        data = graphql(admin, query, variables, town=dagong)
        assert "errors" not in data, data
        return next(iter(data["data"].values()))

    copied = call(
        """mutation($id: ID!) { policyCopyToYear(id: $id, schemeYear: 2023) {
             policy { id schemeYear version status feePerPerson enrolmentCloses coverageStart claimDeadline
                      subsidyTableSize fundingShares { source amount } } errors { field code } } }""",
        {"id": gid(dagong_policy)},
    )
    assert copied["errors"] == []
    draft = copied["policy"]
    assert (draft["schemeYear"], draft["version"], draft["status"]) == (2023, 1, "DRAFT")
    assert draft["feePerPerson"] == "100.00"
    assert draft["subsidyTableSize"] == table_size
    assert draft["enrolmentCloses"] == str(dagong_policy.enrolment_closes.replace(year=2023))
    assert draft["claimDeadline"] == str(dagong_policy.claim_deadline.replace(year=2024))

    call(
        """mutation($id: ID!) { policyDraftUpdate(id: $id, input: {feePerPerson: "120"}) { errors { code } } }""",
        {"id": draft["id"]},
    )
    shares = call(
        """mutation($id: ID!) { policyFundingSharesSet(id: $id, shares: [{source: PERSON, amount: "60"},
             {source: TOWN_FINANCE, amount: "30"}, {source: VILLAGE_COLLECTIVE, amount: "30"}]) {
             errors { field code } } }""",
        {"id": draft["id"]},
    )
    assert shares["errors"] == []
    csv = "DRG编码,DRG名称,补助金额（元）\nES31,肺炎,3000\nFM19,支架,9000\n".encode()
    uploaded = call(
        """mutation($id: ID!, $c: String!) { policySubsidyTableUpload(id: $id, filename: "2023.csv",
             contentBase64: $c) { policy { subsidyTableSize } errors { field code } } }""",
        {"id": draft["id"], "c": base64.b64encode(csv).decode()},
    )
    assert uploaded == {"policy": {"subsidyTableSize": 2}, "errors": []}
    published = call(
        "mutation($id: ID!) { policyPublish(id: $id) { policy { status feePerPerson } errors { field code } } }",
        {"id": draft["id"]},
    )

    assert published == {"policy": {"status": "PUBLISHED", "feePerPerson": "120.00"}, "errors": []}
    in_town(dagong)
    assert PolicyVersion.objects.get(pk=dagong_policy.pk).fee_per_person_fen == 10000  # 2022 untouched


def test_copy_to_year_refuses_drafts_and_taken_years(people, dagong_policy, dagong):
    admin = people["town_admin"]
    query = (
        "mutation($id: ID!, $y: Int!) { policyCopyToYear(id: $id, schemeYear: $y) { errors { field code } } }"
    )

    def errors(policy_id, year):
        return graphql(admin, query, {"id": policy_id, "y": year}, town=dagong)["data"]["policyCopyToYear"][
            "errors"
        ]

    assert errors(gid(dagong_policy), 2022) == [{"field": "schemeYear", "code": "SCHEME_YEAR_EXISTS"}]
    assert errors(gid(dagong_policy), 1999) == [{"field": "schemeYear", "code": "OUT_OF_RANGE"}]
    in_town(dagong)
    draft = actions.create_draft(2030, None)
    assert errors(gid(draft), 2031) == [{"field": "id", "code": "NOT_PUBLISHED"}]
    in_town(dagong)
    assert not PolicyVersion.objects.filter(scheme_year__year__in=[1999, 2031]).exists()
