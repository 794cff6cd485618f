"""Invitations and passwords: a code by SMS sets the first password; change your own; reset by SMS code (hashed,
single-use, ten minutes, limited attempts), audited; a deactivated user's sessions and tokens stop at once."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from graphql_relay import to_global_id

from mutualaid.platform.accounts import people
from mutualaid.platform.accounts.models import ApiToken, OneTimeCode, RoleAssignment, User
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.platform.sms import RecordingSmsBackend
from tests.factories import make_user

PHONE = "13600001234"
NEW_PASSWORD = "a fresh long password"

TOKEN_CREATE = """mutation($u: String!, $p: String!) { tokenCreate(username: $u, password: $p) {
  accessToken errors { code } } }"""
ACCEPT = """mutation($phone: String!, $code: String!, $password: String!) {
  invitationAccept(phone: $phone, code: $code, password: $password) { ok username errors { field code message } } }"""
RESET_REQUEST = (
    """mutation($phone: String!) { passwordResetRequest(phone: $phone) { ok errors { field code } } }"""
)
RESET_CONFIRM = """mutation($phone: String!, $code: String!, $p: String!) {
  passwordResetConfirm(phone: $phone, code: $code, newPassword: $p) { ok username errors { field code } } }"""
CHANGE = """mutation($old: String!, $new: String!) { passwordChange(oldPassword: $old, newPassword: $new) {
  ok errors { field code message } } }"""
VIEWER = "{ viewer { username } }"


def _post(query, variables=None, *, token=None, client=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = json.dumps({"query": query, "variables": variables or {}})
    return (client or Client()).post("/graphql/", body, content_type="application/json", **headers).json()


def _last_code(phone=PHONE) -> str:
    text = next(m.text for m in reversed(RecordingSmsBackend.outbox) if m.phone == phone)
    return re.search(r"验证码 (\d{6})", text).group(1)


@pytest.fixture
def invited(dagong, django_capture_on_commit_callbacks):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = people.invite(PHONE, Role.TOWN_FINANCE, actor=admin, town=dagong)
    return assignment.user


def test_an_invited_person_sets_a_password_with_the_sms_code_and_signs_in(invited):
    assert not invited.has_usable_password()
    code = _last_code()
    stored = OneTimeCode.objects.get(user=invited)
    assert code not in stored.code_hash and len(stored.code_hash) == 64  # only a keyed hash is kept

    weak = _post(ACCEPT, {"phone": PHONE, "code": code, "password": "123"})["data"]["invitationAccept"]
    assert weak["errors"][0]["code"] == "WEAK_PASSWORD" and weak["errors"][0]["field"] == "password"

    done = _post(ACCEPT, {"phone": PHONE, "code": code, "password": NEW_PASSWORD})["data"]["invitationAccept"]
    assert done == {"ok": True, "username": "finance_320685107", "errors": []}
    assert (
        _post(TOKEN_CREATE, {"u": "finance_320685107", "p": NEW_PASSWORD})["data"]["tokenCreate"]["errors"]
        == []
    )

    again = _post(ACCEPT, {"phone": PHONE, "code": code, "password": "another long password"})
    assert again["data"]["invitationAccept"]["errors"][0]["code"] == "INVALID_CODE"  # single use
    assert AuditEvent.objects.filter(action="user.invitation.accept", object_id=str(invited.pk)).exists()


def test_wrong_codes_are_counted_and_the_code_dies_after_the_limit(invited):
    code = _last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(people.CODE_MAX_ATTEMPTS):
        result = _post(ACCEPT, {"phone": PHONE, "code": wrong, "password": NEW_PASSWORD})
        assert result["data"]["invitationAccept"]["errors"][0]["code"] == "INVALID_CODE"
    assert OneTimeCode.objects.get(user=invited).attempts == people.CODE_MAX_ATTEMPTS
    late = _post(ACCEPT, {"phone": PHONE, "code": code, "password": NEW_PASSWORD})["data"]["invitationAccept"]
    assert late["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def _user_with_password(phone=PHONE):
    user = User.objects.create(username="wangfang")
    user.set_password("the old long password")
    people.set_phone(user, phone)
    user.save()
    return user


def test_password_reset_by_sms_code_revokes_tokens_and_is_audited(db, django_capture_on_commit_callbacks):
    user = _user_with_password()
    token = _post(TOKEN_CREATE, {"u": "wangfang", "p": "the old long password"})["data"]["tokenCreate"][
        "accessToken"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(RESET_REQUEST, {"phone": "136 0000 1234"})["data"]["passwordResetRequest"]
    assert answer == {"ok": True, "errors": []}
    code = _last_code()
    done = _post(RESET_CONFIRM, {"phone": PHONE, "code": code, "p": NEW_PASSWORD})["data"][
        "passwordResetConfirm"
    ]
    assert done == {"ok": True, "username": "wangfang", "errors": []}
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _post(VIEWER, token=token)["data"]["viewer"] is None  # old tokens stop working
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    actions = set(AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert {"user.password.reset.request", "user.password.reset"} <= actions
    reused = _post(RESET_CONFIRM, {"phone": PHONE, "code": code, "p": "yet another long one"})
    assert reused["data"]["passwordResetConfirm"]["errors"][0]["code"] == "INVALID_CODE"


def test_reset_codes_expire_after_ten_minutes(db, django_capture_on_commit_callbacks):
    user = _user_with_password()
    with django_capture_on_commit_callbacks(execute=True):
        people.request_password_reset(PHONE)
    code = OneTimeCode.objects.get(user=user)
    assert timedelta(minutes=9) < code.expires_at - code.created_at <= timedelta(minutes=10)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    late = _post(RESET_CONFIRM, {"phone": PHONE, "code": _last_code(), "p": NEW_PASSWORD})
    assert late["data"]["passwordResetConfirm"]["errors"][0]["code"] == "INVALID_CODE"
    user.refresh_from_db()
    assert user.check_password("the old long password")


def test_a_reset_request_answers_the_same_for_an_unknown_phone_and_sends_nothing(db):
    sent = len(RecordingSmsBackend.outbox)
    answer = _post(RESET_REQUEST, {"phone": "13999990000"})["data"]["passwordResetRequest"]
    assert answer == {"ok": True, "errors": []}
    assert len(RecordingSmsBackend.outbox) == sent and OneTimeCode.objects.count() == 0


def test_reset_requests_are_limited_per_hour(db):
    user = _user_with_password()
    for _ in range(people.RESET_CODES_PER_HOUR + 3):
        people.request_password_reset(PHONE)
    assert OneTimeCode.objects.filter(user=user).count() == people.RESET_CODES_PER_HOUR
    assert OneTimeCode.objects.filter(user=user, used_at__isnull=True).count() == 1  # only the newest works


def test_change_own_password_needs_the_old_one_and_keeps_this_session(db):
    user = _user_with_password()
    client = Client()
    client.force_login(user)
    other = Client()
    other.force_login(user)
    wrong = _post(CHANGE, {"old": "not it", "new": NEW_PASSWORD}, client=client)["data"]["passwordChange"]
    assert wrong["errors"][0] == {
        "field": "oldPassword",
        "code": "INVALID_CREDENTIALS",
        "message": "原密码不正确",
    }
    done = _post(CHANGE, {"old": "the old long password", "new": NEW_PASSWORD}, client=client)
    assert done["data"]["passwordChange"] == {"ok": True, "errors": []}
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _post(VIEWER, client=client)["data"]["viewer"] == {"username": "wangfang"}
    assert _post(VIEWER, client=other)["data"]["viewer"] is None  # other sessions end
    assert AuditEvent.objects.filter(action="user.password.change", object_id=str(user.pk)).exists()
    anonymous = _post(CHANGE, {"old": "x", "new": NEW_PASSWORD})["data"]["passwordChange"]
    assert anonymous["errors"][0]["code"] == "PERMISSION_DENIED"


def test_a_deactivated_users_session_and_bearer_token_stop_at_once(dagong):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    user = _user_with_password()
    RoleAssignment.objects.create(user=user, role=Role.TOWN_FINANCE, town=dagong)
    token = _post(TOKEN_CREATE, {"u": "wangfang", "p": "the old long password"})["data"]["tokenCreate"][
        "accessToken"
    ]
    session = Client()
    session.force_login(user)
    assert _post(VIEWER, token=token)["data"]["viewer"] == {"username": "wangfang"}
    assert _post(VIEWER, client=session)["data"]["viewer"] == {"username": "wangfang"}

    admin_client = Client()
    admin_client.force_login(admin)
    mutation = """mutation($id: ID!) { userDeactivate(id: $id) { user { isActive } errors { code } } }"""
    result = _post(mutation, {"id": to_global_id("AccountUser", user.pk)}, client=admin_client)
    assert result["data"]["userDeactivate"] == {"user": {"isActive": False}, "errors": []}

    assert _post(VIEWER, token=token)["data"]["viewer"] is None
    assert _post(VIEWER, client=session)["data"]["viewer"] is None
    town_answer = Client().post(
        f"/t/{dagong.code}/graphql/",
        json.dumps({"query": "{ currentTown { code } }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert town_answer.status_code in (200, 403, 404) and "320685107" not in town_answer.content.decode()
    assert _post(TOKEN_CREATE, {"u": "wangfang", "p": "the old long password"})["data"]["tokenCreate"][
        "errors"
    ]


def test_a_gateway_failure_after_commit_leaves_the_invitation_and_is_logged(
    dagong, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from mutualaid.platform import sms

    class Down(sms.SmsBackend):
        def send(self, phone, text):
            raise ConnectionError("gateway down")

    monkeypatch.setattr(sms, "_backend", lambda: Down())
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = people.invite(PHONE, Role.TOWN_FINANCE, actor=admin, town=dagong)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert "sending an account SMS failed" in caplog.text and PHONE not in caplog.text
