"""Writes for accounts: sign-in with tokens, token refresh and revocation, users and role assignments.

People and roles (invite, accept, deactivate, remove a role) and passwords (change, reset by SMS code) are in
``people.py``; what they may do is decided in ``permissions.py``."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mutualaid.platform.accounts.backends import client_address, is_throttled, throttled_message
from mutualaid.platform.accounts.error_codes import AccountErrorCode
from mutualaid.platform.accounts.models import ApiToken, RoleAssignment, User
from mutualaid.platform.audit.actions import record_event


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: User


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _issue(user: User, kind: str, ttl: int, pair: uuid.UUID, family: uuid.UUID) -> tuple[str, datetime]:
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=ttl)
    ApiToken.objects.create(
        user=user, kind=kind, key_hash=_hash(key), expires_at=expires_at, pair=pair, family=family
    )
    return key, expires_at


def _issue_pair(user: User, family: uuid.UUID | None = None) -> TokenPair:
    pair = uuid.uuid4()
    family = family or pair
    access, access_expires = _issue(
        user, ApiToken.Kind.ACCESS, settings.ACCESS_TOKEN_TTL_SECONDS, pair, family
    )
    refresh, refresh_expires = _issue(
        user, ApiToken.Kind.REFRESH, settings.REFRESH_TOKEN_TTL_SECONDS, pair, family
    )
    return TokenPair(access, access_expires, refresh, refresh_expires, user)


def obtain_tokens(username: str, password: str, request=None) -> TokenPair:
    address = client_address(request)
    if is_throttled(username, address):
        raise ValidationError(throttled_message(username, address), code=AccountErrorCode.THROTTLED.value)
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise ValidationError("用户名或密码错误", code=AccountErrorCode.INVALID_CREDENTIALS.value)
    with transaction.atomic():
        return _issue_pair(user)


def _live_token(key: str, kind: str) -> ApiToken | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key), kind=kind).first()
    if token is None or token.revoked_at or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


def user_for_access_token(key: str) -> User | None:
    token = _live_token(key, ApiToken.Kind.ACCESS)
    return token.user if token else None


def _invalid_refresh() -> ValidationError:
    return ValidationError("刷新令牌无效或已过期", code=AccountErrorCode.INVALID_TOKEN.value)


def refresh_tokens(refresh_key: str) -> TokenPair:
    """Rotate: the old refresh token is spent and a new pair of the same family issued.

    A spent refresh token presented again means two parties hold it (theft detection): every token of its family
    is revoked, committed even though the request fails (the mutation runs outside a transaction)."""
    spent = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(refresh_key), kind=ApiToken.Kind.REFRESH, rotated_at__isnull=False)
        .first()
    )
    if spent is not None:
        _revoke_family(spent)
        raise _invalid_refresh()
    token = _live_token(refresh_key, ApiToken.Kind.REFRESH)
    if token is None:
        raise _invalid_refresh()
    now = timezone.now()
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now, rotated_at=now
        ):
            return _issue_pair(token.user, token.family)
    _revoke_family(token)  # refreshed concurrently: the same token spent twice
    raise _invalid_refresh()


def _revoke_family(token: ApiToken) -> None:
    family = (
        ApiToken.objects.filter(family=token.family) if token.family else ApiToken.objects.filter(pk=token.pk)
    )
    count = family.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_event(None, "token.refresh_reused", token.user, {"token": token.pk, "revoked": count})


def revoke_all_tokens(user: User) -> int:
    """Every live token of the user stops working at once (deactivation, password reset)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_token(key: str, user: User) -> None:
    """Revoke one of the user's own tokens together with the token issued beside it (access ↔ refresh).

    Another user's token is refused exactly like an unknown one (no oracle), and the attempt is audited."""
    token = ApiToken.objects.filter(key_hash=_hash(key)).first()
    if token is None or token.user_id != user.pk:
        if token is not None:
            record_event(user, "token.revoke_refused", token.user, {"token": token.pk})
        raise ValidationError("令牌无效，或不是您自己的令牌", code=AccountErrorCode.INVALID_TOKEN.value)
    issued_together = (
        ApiToken.objects.filter(pair=token.pair) if token.pair else ApiToken.objects.filter(pk=token.pk)
    )
    issued_together.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def create_user(
    username: str, password: str | None, display_name: str = "", *, actor: User | None = None, is_staff=False
) -> User:
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"username": ValidationError("用户名已存在", code=AccountErrorCode.INVALID.value)}
        )
    user = User(username=username, display_name=display_name, is_staff=is_staff)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    record_event(actor, "user.create", user, {"username": username})
    return user


def assign_role(user: User, role: str, *, actor: User | None = None, **scope) -> RoleAssignment:
    assignment, _ = RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
    record_event(actor, "role.assign", user, {"role": role, **{k: str(v) for k, v in scope.items()}})
    return assignment
