import json
from datetime import timedelta

from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.utils import timezone

from mutualaid.platform.accounts.models import ApiToken, LoginFailure, User

TOKEN_CREATE = """mutation($u: String!, $p: String!) { tokenCreate(username: $u, password: $p) {
  accessToken refreshToken accessExpiresAt viewer { username } errors { field code message } } }"""
TOKEN_REFRESH = """mutation($t: String!) { tokenRefresh(refreshToken: $t) { accessToken refreshToken errors { code } } }"""
TOKEN_REVOKE = """mutation($t: String!) { tokenRevoke(token: $t) { revoked errors { code } } }"""
VIEWER = "{ viewer { username } }"


def _post(query, variables=None, token=None, url="/graphql/"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = json.dumps({"query": query, "variables": variables or {}})
    return Client().post(url, body, content_type="application/json", **headers).json()


def _user(db, password="correct horse battery"):
    user = User.objects.create(username="lihua")
    user.set_password(password)
    user.save()
    return user


def test_passwords_are_hashed_with_argon2(db):
    user = _user(db)
    assert identify_hasher(user.password).algorithm == "argon2"


def test_token_obtain_then_use_then_revoke(db):
    _user(db)
    data = _post(TOKEN_CREATE, {"u": "lihua", "p": "correct horse battery"})["data"]["tokenCreate"]
    assert data["errors"] == [] and data["viewer"]["username"] == "lihua"
    assert _post(VIEWER, token=data["accessToken"])["data"]["viewer"]["username"] == "lihua"

    revoked = _post(TOKEN_REVOKE, {"t": data["accessToken"]}, token=data["accessToken"])["data"][
        "tokenRevoke"
    ]
    assert revoked == {"revoked": True, "errors": []}
    assert _post(VIEWER, token=data["accessToken"])["data"]["viewer"] is None


def test_refresh_rotates_and_the_old_refresh_token_stops_working(db):
    _user(db)
    first = _post(TOKEN_CREATE, {"u": "lihua", "p": "correct horse battery"})["data"]["tokenCreate"]
    second = _post(TOKEN_REFRESH, {"t": first["refreshToken"]})["data"]["tokenRefresh"]
    assert second["errors"] == [] and second["accessToken"] != first["accessToken"]
    again = _post(TOKEN_REFRESH, {"t": first["refreshToken"]})["data"]["tokenRefresh"]
    assert again["errors"] == [{"code": "INVALID_TOKEN"}]


def test_expired_access_token_is_anonymous(db):
    _user(db)
    data = _post(TOKEN_CREATE, {"u": "lihua", "p": "correct horse battery"})["data"]["tokenCreate"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _post(VIEWER, token=data["accessToken"])["data"]["viewer"] is None


def test_wrong_password_is_a_typed_error_and_repeated_failures_throttle(db, settings):
    _user(db)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        errors = _post(TOKEN_CREATE, {"u": "lihua", "p": "wrong"})["data"]["tokenCreate"]["errors"]
        assert errors[0]["code"] == "INVALID_CREDENTIALS"
    assert LoginFailure.objects.filter(username="lihua").count() == settings.LOGIN_FAILURE_LIMIT
    # Even the right password is refused while throttled.
    result = _post(TOKEN_CREATE, {"u": "lihua", "p": "correct horse battery"})["data"]["tokenCreate"]
    assert result["accessToken"] is None and result["errors"][0]["code"] == "THROTTLED"
    assert ApiToken.objects.count() == 0


def test_admin_login_uses_sessions_and_is_throttled_too(db, settings):
    user = _user(db)
    user.is_staff = True
    user.save()
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "lihua", "password": "nope"})
    response = client.post("/admin/login/", {"username": "lihua", "password": "correct horse battery"})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200  # the login form again, not a redirect
