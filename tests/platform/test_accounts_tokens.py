"""Token revocation and refresh-token theft detection (issue 22 item 7)."""

from __future__ import annotations

from mutualaid.platform.accounts.models import ApiToken, User
from mutualaid.platform.audit.models import AuditEvent
from tests.platform.test_accounts import TOKEN_CREATE, TOKEN_REFRESH, TOKEN_REVOKE, VIEWER, _post


def _sign_in(username: str) -> dict:
    user = User.objects.create(username=username)
    user.set_password("correct horse battery")
    user.save()
    return _post(TOKEN_CREATE, {"u": username, "p": "correct horse battery"})["data"]["tokenCreate"]


def _refresh(token: str) -> dict:
    return _post(TOKEN_REFRESH, {"t": token})["data"]["tokenRefresh"]


def _viewer(token: str):
    return _post(VIEWER, token=token)["data"]["viewer"]


def test_revoking_another_users_token_is_refused_and_the_token_keeps_working(db):
    victim = _sign_in("victim")
    attacker = _sign_in("attacker")
    for key in (victim["accessToken"], victim["refreshToken"]):
        result = _post(TOKEN_REVOKE, {"t": key}, token=attacker["accessToken"])["data"]["tokenRevoke"]
        assert result == {"revoked": None, "errors": [{"code": "INVALID_TOKEN"}]}
    assert _viewer(victim["accessToken"]) == {"username": "victim"}
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0
    assert AuditEvent.objects.filter(action="token.revoke_refused", actor_username="attacker").count() == 2


def test_revoking_an_unknown_token_is_refused_the_same_way(db):
    me = _sign_in("me")
    result = _post(TOKEN_REVOKE, {"t": "not-a-token"}, token=me["accessToken"])["data"]["tokenRevoke"]
    assert result == {"revoked": None, "errors": [{"code": "INVALID_TOKEN"}]}


def test_revoking_an_access_token_revokes_its_refresh_token(db):
    me = _sign_in("me")
    result = _post(TOKEN_REVOKE, {"t": me["accessToken"]}, token=me["accessToken"])["data"]["tokenRevoke"]
    assert result == {"revoked": True, "errors": []}
    assert _viewer(me["accessToken"]) is None
    assert _refresh(me["refreshToken"])["errors"] == [{"code": "INVALID_TOKEN"}]


def test_revoking_leaves_the_users_other_sessions_alive(db):
    me = _sign_in("me")
    other = _post(TOKEN_CREATE, {"u": "me", "p": "correct horse battery"})["data"]["tokenCreate"]
    _post(TOKEN_REVOKE, {"t": me["refreshToken"]}, token=me["accessToken"])
    assert _viewer(me["accessToken"]) is None  # its pair
    assert _viewer(other["accessToken"]) == {"username": "me"}
    assert _refresh(other["refreshToken"])["errors"] == []


def test_reusing_a_rotated_refresh_token_revokes_the_whole_chain(db):
    first = _sign_in("me")
    second = _refresh(first["refreshToken"])
    third = _refresh(second["refreshToken"])
    assert third["errors"] == [] and _viewer(third["accessToken"]) == {"username": "me"}

    # The first refresh token was rotated; someone replays it (a thief, or the owner after the thief).
    assert _refresh(first["refreshToken"])["errors"] == [{"code": "INVALID_TOKEN"}]

    assert _viewer(third["accessToken"]) is None
    assert _refresh(third["refreshToken"])["errors"] == [{"code": "INVALID_TOKEN"}]
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="token.refresh_reused").count() == 1


def test_theft_detection_spares_other_sign_ins(db):
    first = _sign_in("me")
    other = _post(TOKEN_CREATE, {"u": "me", "p": "correct horse battery"})["data"]["tokenCreate"]
    _refresh(first["refreshToken"])
    _refresh(first["refreshToken"])
    assert _viewer(other["accessToken"]) == {"username": "me"}
