"""Permission matrix for every platform operation: allowed roles succeed, everyone else is refused and nothing
changes."""

import pytest
from graphql_relay import to_global_id

from mutualaid.platform.regions.importer import ensure_seed_regions
from mutualaid.tenants.models import ServiceFirm, Town
from tests.factories import graphql

ALL = [
    "staff",
    "province_supervisor",
    "county_bureau",
    "other_county_bureau",
    "town_admin",
    "town_finance",
    "village_coordinator",
    "firm_reviewer",
    "member",
    "other_town_admin",
    "anonymous",
]

ONBOARD = """mutation($code: String!) { onboardTown(code: $code, adminPhone: "13912345678") {
  town { code status } errors { field code message } } }"""


@pytest.mark.parametrize("who", ALL)
def test_onboard_town_matrix(people, who, django_capture_on_commit_callbacks):
    allowed = {"staff", "county_bureau"}
    ensure_seed_regions()
    with django_capture_on_commit_callbacks(execute=False):
        result = graphql(people[who], ONBOARD, {"code": "320685100"})["data"]["onboardTown"]
    if who in allowed:
        assert result["errors"] == [] and result["town"] == {"code": "320685100", "status": "PROVISIONING"}
        assert Town.objects.filter(code="320685100").exists()
    else:
        assert result["town"] is None and result["errors"][0]["code"] == "PERMISSION_DENIED"
        assert not Town.objects.filter(code="320685100").exists()


def test_onboard_town_bad_input_is_typed_and_writes_nothing(people):
    bureau = people["county_bureau"]
    bad_code = graphql(bureau, ONBOARD, {"code": "12345"})["data"]["onboardTown"]["errors"]
    assert bad_code == [{"field": "code", "code": "INVALID_CODE", "message": "乡镇区划代码应为 9 位数字"}]
    taken = graphql(bureau, ONBOARD, {"code": "320685107"})["data"]["onboardTown"]["errors"]
    assert taken[0]["code"] == "ALREADY_ONBOARDED"
    bad_phone = (
        """mutation { onboardTown(code: "320685100", adminPhone: "12345") { errors { field code } } }"""
    )
    assert graphql(bureau, bad_phone)["data"]["onboardTown"]["errors"] == [
        {"field": "adminPhone", "code": "INVALID_PHONE"}
    ]
    assert not Town.objects.filter(code="320685100").exists()


RETRY = (
    """mutation($code: String!) { retryTownOnboarding(code: $code) { town { status } errors { code } } }"""
)


@pytest.mark.parametrize("who", ALL)
def test_retry_onboarding_matrix(people, towns, who, django_capture_on_commit_callbacks):
    allowed = {"staff", "county_bureau"}
    Town.objects.filter(code="320685109").update(status="failed", error="boom")
    with django_capture_on_commit_callbacks(execute=False):
        result = graphql(people[who], RETRY, {"code": "320685109"})["data"]["retryTownOnboarding"]
    status = Town.objects.get(code="320685109").status
    if who in allowed:
        assert result == {"town": {"status": "PROVISIONING"}, "errors": []} and status == "provisioning"
    else:
        assert result["errors"][0]["code"] in ("NOT_FOUND", "PERMISSION_DENIED") and status == "failed"


FIRM_CREATE = """mutation { serviceFirmCreate(name: "新机构") { firm { name } errors { code } } }"""


@pytest.mark.parametrize("who", ALL)
def test_service_firm_create_matrix(people, who):
    result = graphql(people[who], FIRM_CREATE)["data"]["serviceFirmCreate"]
    if who == "staff":
        assert result == {"firm": {"name": "新机构"}, "errors": []}
    else:
        assert result["errors"][0]["code"] == "PERMISSION_DENIED"
        assert not ServiceFirm.objects.filter(name="新机构").exists()


FIRM_SET_TOWN = """mutation($firm: ID!, $town: String!) { serviceFirmSetTown(firmId: $firm, townCode: $town, serves: true) {
  errors { code } } }"""


@pytest.mark.parametrize("who", ALL)
def test_service_firm_set_town_matrix(people, firm, who):
    allowed = {"staff", "county_bureau"}
    result = graphql(
        people[who], FIRM_SET_TOWN, {"firm": to_global_id("ServiceFirm", firm.pk), "town": "320685109"}
    )
    serves = firm.towns.filter(code="320685109").exists()
    if who in allowed:
        assert result["data"]["serviceFirmSetTown"]["errors"] == [] and serves
    else:
        assert result["data"]["serviceFirmSetTown"]["errors"][0]["code"] in ("NOT_FOUND", "PERMISSION_DENIED")
        assert not serves


def test_service_firm_set_town_refuses_forged_ids(people, firm):
    bureau = people["county_bureau"]
    for forged in ("not-an-id", to_global_id("Town", firm.pk), to_global_id("ServiceFirm", 999999)):
        result = graphql(bureau, FIRM_SET_TOWN, {"firm": forged, "town": "320685109"})
        assert result["data"]["serviceFirmSetTown"]["errors"] == [{"code": "NOT_FOUND"}]


TOWNS = "{ towns(first: 50) { totalCount edges { node { code error } } } }"


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("staff", {"320685107", "320685109", "500152116"}),
        ("province_supervisor", {"320685107", "320685109"}),
        ("county_bureau", {"320685107", "320685109"}),
        ("other_county_bureau", {"500152116"}),
        ("town_admin", {"320685107"}),
        ("village_coordinator", {"320685107"}),
        ("firm_reviewer", {"320685107"}),
        ("other_town_admin", {"500152116"}),
        ("anonymous", set()),
    ],
)
def test_towns_list_shows_only_the_jurisdiction(people, who, visible):
    data = graphql(people[who], TOWNS)["data"]["towns"]
    assert {edge["node"]["code"] for edge in data["edges"]} == visible
    assert data["totalCount"] == len(visible)


def test_onboarding_errors_are_shown_to_the_county_bureau_only(people, towns):
    Town.objects.filter(code="320685109").update(status="failed", error="clone failed")
    query = '{ town(code: "320685109") { status error } }'
    assert graphql(people["county_bureau"], query)["data"]["town"] == {
        "status": "FAILED",
        "error": "clone failed",
    }
    assert graphql(people["province_supervisor"], query)["data"]["town"]["error"] == "clone failed"
    assert graphql(people["firm_reviewer"], query)["data"]["town"] is None


def test_regions_need_a_signed_in_user(people):
    query = '{ counties(first: 5, search: "海安") { edges { node { code name province { name } } } } }'
    anonymous = graphql(None, query)
    assert anonymous["data"]["counties"] is None and anonymous["errors"][0]["message"] == "请先登录"
    counties = graphql(people["member"], query)["data"]["counties"]["edges"]
    assert counties == [{"node": {"code": "320685", "name": "海安市", "province": {"name": "江苏省"}}}]


def test_viewer_lists_roles_with_scopes(people):
    roles = graphql(people["county_bureau"], "{ viewer { roles { role roleName scopeName countyCode } } }")
    assert roles["data"]["viewer"]["roles"] == [
        {
            "role": "COUNTY_BUREAU",
            "roleName": "县/市乡村振兴局",
            "scopeName": "海安市",
            "countyCode": "320685",
        }
    ]
