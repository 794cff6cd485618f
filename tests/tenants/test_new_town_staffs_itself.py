"""A newly onboarded town staffs itself through the API: its admin reads the first SMS from the development outbox,
signs in, registers a village, invites a finance user and a coordinator, who set their passwords with the SMS
codes and sign in (issue 14 items 1-4, no shell beyond ``mutualaid sms outbox``)."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from mutualaid.platform import sms
from mutualaid.tenants import actions
from mutualaid.tenants.provisioning import provision_town

ADMIN, FINANCE, COORDINATOR = "13911110000", "13822220000", "13733330000"
TOWN = "320685100"


@pytest.fixture
def file_outbox(tmp_path, settings, monkeypatch):
    settings.SMS_OUTBOX_PATH = str(tmp_path / "sms" / "outbox.jsonl")
    backend = sms.FileSmsBackend()
    monkeypatch.setattr(sms, "_backend", lambda: backend)
    return backend.path


def _outbox(phone: str) -> str:
    out = StringIO()
    call_command("sms", "outbox", "--phone", phone, "--limit", "1", stdout=out)
    return out.getvalue()


def _post(query, variables=None, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = json.dumps({"query": query, "variables": variables or {}})
    return (
        Client().post(f"/t/{TOWN}/graphql/", body, content_type="application/json", **headers).json()["data"]
    )


SIGN_IN = """mutation($u: String!, $p: String!) { tokenCreate(username: $u, password: $p) {
  accessToken viewer { username roles { role villageCode } } errors { code } } }"""
INVITE = """mutation($input: UserInviteInput!) { userInvite(input: $input) {
  roleAssignment { user { username } } errors { field code message } } }"""
ACCEPT = """mutation($phone: String!, $code: String!, $p: String!) {
  invitationAccept(phone: $phone, code: $code, password: $p) { username errors { code } } }"""


def test_a_new_town_admin_signs_in_from_the_outbox_and_invites_finance_and_a_coordinator(
    haizhen, file_outbox, django_capture_on_commit_callbacks
):
    town = actions.request_onboarding(haizhen, admin_phone=ADMIN, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        provision_town(town.pk)

    first_sms = _outbox(ADMIN)
    assert "镇财政" in first_sms  # the admin is told the finance role must be invited
    password = first_sms.strip().rsplit("初始密码 ", 1)[1]
    signed_in = _post(SIGN_IN, {"u": f"admin_{TOWN}", "p": password})["tokenCreate"]
    assert signed_in["errors"] == []
    token = signed_in["accessToken"]

    village = """mutation { createVillage(code: "320685100201", name: "新村") { village { code } errors { code } } }"""
    assert _post(village, token=token)["createVillage"]["errors"] == []

    with django_capture_on_commit_callbacks(execute=True):
        finance = _post(INVITE, {"input": {"phone": FINANCE, "role": "TOWN_FINANCE"}}, token)["userInvite"]
        coordinator = _post(
            INVITE,
            {"input": {"phone": COORDINATOR, "role": "VILLAGE_COORDINATOR", "villageCode": "320685100201"}},
            token,
        )["userInvite"]
    assert finance["errors"] == [] and coordinator["errors"] == []

    for phone, username, role in [
        (FINANCE, f"finance_{TOWN}", "TOWN_FINANCE"),
        (COORDINATOR, "coord_320685100201", "VILLAGE_COORDINATOR"),
    ]:
        code = re.search(r"验证码 (\d{6})", _outbox(phone)).group(1)
        accepted = _post(ACCEPT, {"phone": phone, "code": code, "p": "my own long password"})[
            "invitationAccept"
        ]
        assert accepted == {"username": username, "errors": []}
        viewer = _post(SIGN_IN, {"u": username, "p": "my own long password"})["tokenCreate"]["viewer"]
        assert [r["role"] for r in viewer["roles"]] == [role]
