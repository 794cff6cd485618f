"""People and roles through GraphQL: the permission matrix of userInvite, userDeactivate, roleRemove and
roleAssignments. Allowed roles succeed; every other role, other towns and counties and anonymous are refused,
and a refused call changes nothing (no user, no role, no audit event, no SMS)."""

import pytest
from django.db import connection
from graphql_relay import to_global_id

from mutualaid.enrolment.models import Village
from mutualaid.platform.accounts.models import OneTimeCode, RoleAssignment, User
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.platform.sms import RecordingSmsBackend
from tests.factories import graphql, make_user

ALL = [
    "staff",
    "province_supervisor",
    "county_bureau",
    "other_county_bureau",
    "town_admin",
    "town_finance",
    "village_coordinator",
    "firm_reviewer",
    "firm_manager",
    "other_firm_manager",
    "member",
    "other_town_admin",
    "anonymous",
]
DAGONG, VILLAGE = "320685107", "320685107202"
PHONE = "13700001234"

INVITE = """mutation($input: UserInviteInput!) { userInvite(input: $input) {
  roleAssignment { id role scope townCode villageCode countyCode user { username phone invitationPending } }
  errors { field code message } } }"""
DEACTIVATE = (
    """mutation($id: ID!) { userDeactivate(id: $id) { user { username isActive } errors { field code } } }"""
)
REMOVE = """mutation($id: ID!) { roleRemove(id: $id) { removedId errors { field code } } }"""
LIST = """query($role: Role) { roleAssignments(role: $role, first: 50) { totalCount
  edges { node { role townCode villageCode user { username } } } } }"""


@pytest.fixture
def everyone(people, firm):
    from mutualaid.tenants.models import ServiceFirm

    other_firm = ServiceFirm.objects.create(name="另一服务机构")
    return people | {
        "firm_manager": make_user(Role.FIRM_MANAGER, firm=firm),
        "other_firm_manager": make_user(Role.FIRM_MANAGER, firm=other_firm),
    }


@pytest.fixture
def village(dagong):
    connection.set_tenant(dagong)
    try:
        Village.objects.get_or_create(code=VILLAGE, defaults={"name": "测试村"})
    finally:
        connection.set_schema_to_public()
    return VILLAGE


def _state():
    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
        OneTimeCode.objects.count(),
        len(RecordingSmsBackend.outbox),
    )


def _refused(errors):
    return errors and errors[0]["code"] in ("PERMISSION_DENIED", "NOT_FOUND")


INVITES = {
    # role: (input beyond phone and role, who may)
    "town_finance": ({"townCode": DAGONG}, {"staff", "town_admin"}),
    "village_coordinator": ({"townCode": DAGONG, "villageCode": VILLAGE}, {"staff", "town_admin"}),
    "town_admin": ({"townCode": DAGONG}, {"staff", "county_bureau"}),
    "county_bureau": ({"countyCode": "320685"}, {"staff", "county_bureau"}),
    "province_supervisor": ({"provinceCode": "32"}, {"staff"}),
    "firm_reviewer": ({"firmId": None}, {"staff", "firm_manager"}),
    "firm_manager": ({"firmId": None}, {"staff"}),
}


@pytest.mark.parametrize("role", list(INVITES))
@pytest.mark.parametrize("who", ALL)
def test_user_invite_matrix(everyone, firm, village, who, role, django_capture_on_commit_callbacks):
    scope, allowed = INVITES[role]
    if "firmId" in scope:
        scope = {"firmId": to_global_id("ServiceFirm", firm.pk)}
    variables = {"input": {"phone": PHONE, "role": role.upper(), **scope}}
    before = _state()
    with django_capture_on_commit_callbacks(execute=True):
        result = graphql(everyone[who], INVITE, variables)["data"]["userInvite"]
    if who in allowed:
        assert result["errors"] == []
        node = result["roleAssignment"]
        assert node["role"] == role.upper() and node["user"]["invitationPending"] is True
        assert node["user"]["phone"] == "137****1234"
        invited = User.objects.get(username=node["user"]["username"])
        assert RoleAssignment.objects.filter(user=invited, role=role).count() == 1
        assert AuditEvent.objects.filter(action="role.assign", object_id=str(invited.pk)).exists()
        assert RecordingSmsBackend.outbox[-1].phone == PHONE
    else:
        assert _refused(result["errors"]), result
        assert result["roleAssignment"] is None
        assert _state() == before


@pytest.mark.parametrize("who", ["staff", "town_admin", "other_town_admin", "town_finance", "anonymous"])
def test_user_invite_on_the_town_api_is_limited_to_that_town(everyone, dagong, village, who):
    variables = {"input": {"phone": PHONE, "role": "TOWN_FINANCE"}}
    before = _state()
    result = graphql(everyone[who], INVITE, variables, town=dagong)
    if "errors" in result:  # the town's API refuses people without a role in it
        assert who in ("other_town_admin", "town_finance", "anonymous")
        assert _state() == before
        return
    data = result["data"]["userInvite"]
    if who in ("staff", "town_admin"):
        assert data["errors"] == [] and data["roleAssignment"]["townCode"] == DAGONG
        assert data["roleAssignment"]["user"]["username"] == f"finance_{DAGONG}"
    else:
        assert _refused(data["errors"]) and _state() == before


def test_user_invite_from_another_town_api_is_not_found(everyone, dagong, yazhou):
    admin = everyone["town_admin"]
    RoleAssignment.objects.create(user=admin, role=Role.TOWN_ADMIN, town=yazhou)
    variables = {"input": {"phone": PHONE, "role": "TOWN_FINANCE", "townCode": DAGONG}}
    data = graphql(admin, INVITE, variables, town=yazhou)["data"]["userInvite"]
    assert data["errors"] == [{"field": "townCode", "code": "NOT_FOUND", "message": "对象不存在或无权访问"}]


def test_a_coordinator_needs_a_village_of_the_town_that_exists(everyone, village):
    admin = everyone["town_admin"]
    before = _state()
    for code, error in [
        (None, "INVALID_SCOPE"),
        ("500152116201", "INVALID_SCOPE"),
        ("320685107299", "UNKNOWN_VILLAGE"),
    ]:
        variables = {"input": {"phone": PHONE, "role": "VILLAGE_COORDINATOR", "townCode": DAGONG}}
        if code:
            variables["input"]["villageCode"] = code
        errors = graphql(admin, INVITE, variables)["data"]["userInvite"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("villageCode", error)], errors
    assert _state() == before


def test_one_or_more_coordinators_per_village(everyone, dagong, village, django_capture_on_commit_callbacks):
    admin = everyone["town_admin"]
    for phone in ("13700001111", "13700002222"):
        variables = {
            "input": {
                "phone": phone,
                "role": "VILLAGE_COORDINATOR",
                "townCode": DAGONG,
                "villageCode": VILLAGE,
            }
        }
        assert graphql(admin, INVITE, variables)["data"]["userInvite"]["errors"] == []
    assert RoleAssignment.objects.filter(role=Role.VILLAGE_COORDINATOR, village_code=VILLAGE).count() == 2
    # inviting the same person again for the same role re-sends the code while they have not signed up
    sent = len(RecordingSmsBackend.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = graphql(admin, INVITE, variables)["data"]["userInvite"]
    assert again["errors"] == [] and len(RecordingSmsBackend.outbox) == sent + 1
    assert "验证码" in RecordingSmsBackend.outbox[-1].text
    user = User.objects.get(username=f"coord_{VILLAGE}_2")
    user.set_password("a-long-enough-pass")
    user.save()
    refused = graphql(admin, INVITE, variables)["data"]["userInvite"]["errors"]
    assert refused[0]["code"] == "ALREADY_GRANTED"


def test_bad_phone_is_a_typed_error(everyone):
    variables = {"input": {"phone": "12345", "role": "TOWN_FINANCE", "townCode": DAGONG}}
    errors = graphql(everyone["town_admin"], INVITE, variables)["data"]["userInvite"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("phone", "INVALID_PHONE")]


def _finance_of_dagong(dagong):
    user = make_user(Role.TOWN_FINANCE, town=dagong)
    return user, RoleAssignment.objects.get(user=user)


@pytest.mark.parametrize("who", ALL)
def test_user_deactivate_matrix(everyone, dagong, who):
    allowed = {"staff", "town_admin"}
    target, _ = _finance_of_dagong(dagong)
    before = _state()
    result = graphql(everyone[who], DEACTIVATE, {"id": to_global_id("AccountUser", target.pk)})["data"][
        "userDeactivate"
    ]
    target.refresh_from_db()
    if who in allowed:
        assert result["errors"] == [] and result["user"]["isActive"] is False
        assert not target.is_active
        assert AuditEvent.objects.filter(action="user.deactivate", object_id=str(target.pk)).exists()
    else:
        assert _refused(result["errors"]), result
        assert target.is_active and _state() == before


def test_a_town_admin_cannot_deactivate_someone_who_also_holds_roles_elsewhere(everyone, dagong, xinsheng):
    target, _ = _finance_of_dagong(dagong)
    RoleAssignment.objects.create(user=target, role=Role.TOWN_FINANCE, town=xinsheng)
    result = graphql(everyone["town_admin"], DEACTIVATE, {"id": to_global_id("AccountUser", target.pk)})
    assert result["data"]["userDeactivate"]["errors"][0]["code"] == "NOT_FOUND"
    target.refresh_from_db()
    assert target.is_active


def test_nobody_deactivates_themselves_or_platform_staff(everyone):
    admin, staff = everyone["town_admin"], everyone["staff"]
    for actor, target in [(admin, admin), (staff, staff), (everyone["county_bureau"], staff)]:
        result = graphql(actor, DEACTIVATE, {"id": to_global_id("AccountUser", target.pk)})
        assert result["data"]["userDeactivate"]["errors"][0]["code"] == "NOT_FOUND"
    assert User.objects.filter(pk__in=[admin.pk, staff.pk], is_active=True).count() == 2


REMOVALS = {
    "town_finance": {"staff", "town_admin"},
    "village_coordinator": {"staff", "town_admin"},
    "town_admin": {"staff", "county_bureau"},
    "county_bureau": {"staff", "county_bureau"},
    "firm_reviewer": {"staff", "firm_manager"},
}


@pytest.mark.parametrize("role", list(REMOVALS))
@pytest.mark.parametrize("who", ALL)
def test_role_remove_matrix(everyone, who, role):
    allowed = REMOVALS[role]
    holder = everyone[role]
    assignment = RoleAssignment.objects.get(user=holder)
    before = _state()
    result = graphql(everyone[who], REMOVE, {"id": to_global_id("RoleAssignment", assignment.pk)})["data"][
        "roleRemove"
    ]
    if who in allowed:
        assert result["errors"] == [], result
        assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
        assert AuditEvent.objects.filter(action="role.remove", object_id=str(holder.pk)).exists()
    else:
        assert _refused(result["errors"]), result
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists() and _state() == before


@pytest.mark.parametrize("who", ALL)
def test_role_assignments_list_matrix(everyone, who):
    """Who sees the finance user of 大公镇 in the list of who holds what."""
    sees = {"staff", "province_supervisor", "county_bureau", "town_admin"}
    may_list = sees | {"other_county_bureau", "other_town_admin", "firm_manager", "other_firm_manager"}
    finance = everyone["town_finance"].username
    result = graphql(everyone[who], LIST)
    if who not in may_list:
        assert result["data"]["roleAssignments"] is None
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        return
    names = {e["node"]["user"]["username"] for e in result["data"]["roleAssignments"]["edges"]}
    assert (finance in names) == (who in sees)
    if who == "firm_manager":
        assert names == {everyone["firm_reviewer"].username, everyone["firm_manager"].username}


def test_role_assignments_on_the_town_api_list_that_town_only(everyone, dagong):
    result = graphql(everyone["county_bureau"], LIST, town=dagong)["data"]["roleAssignments"]
    towns = {e["node"]["townCode"] for e in result["edges"]}
    assert towns == {DAGONG} and result["totalCount"] == len(result["edges"])


def test_role_assignments_cost_the_same_queries_for_more_people(everyone, dagong):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    staff = everyone["staff"]
    with CaptureQueriesContext(conn) as few:
        graphql(staff, LIST)
    for _ in range(20):
        make_user(Role.TOWN_FINANCE, town=dagong)
    with CaptureQueriesContext(conn) as many:
        result = graphql(staff, LIST)
    assert result["data"]["roleAssignments"]["totalCount"] >= 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
