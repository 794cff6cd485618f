"""Password authentication with throttling by account and client address together.

Failures are counted per (username, address) within ``LOGIN_FAILURE_WINDOW_SECONDS``. After
``LOGIN_FAILURE_LIMIT`` of them that address waits before its next try, the wait doubling with each further
failure (``LOGIN_THROTTLE_BASE_DELAY_SECONDS`` up to ``LOGIN_THROTTLE_MAX_DELAY_SECONDS``). There is no lock: an
attacker guessing from one address never keeps the owner out from another, and the owner's own address only waits.
Every failure is kept (``LoginFailure``, with its address) as the audit of failed sign-ins."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.utils import timezone

from mutualaid.platform.accounts.models import LoginFailure


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def retry_after(username: str, address: str | None) -> float:
    """Seconds until ``address`` may try a password for ``username`` again (0: now)."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    failures = LoginFailure.objects.filter(username=username, ip_address=address, at__gte=since).aggregate(
        count=Count("pk"), last=Max("at")
    )
    beyond = failures["count"] - settings.LOGIN_FAILURE_LIMIT
    if beyond < 0:
        return 0.0
    delay = min(
        settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS * 2 ** min(beyond, 30),
        settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS,
    )
    return max(0.0, (failures["last"] + timedelta(seconds=delay) - now).total_seconds())


def is_throttled(username: str, address: str | None) -> bool:
    return retry_after(username, address) > 0


def throttled_message(username: str, address: str | None) -> str:
    return f"登录失败次数过多，请 {max(1, round(retry_after(username, address)))} 秒后再试"


class LoginThrottled(PermissionDenied):
    pass


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        address = client_address(request)
        if username and is_throttled(username, address):
            # PermissionDenied stops django.contrib.auth.authenticate from trying further backends.
            raise LoginThrottled(throttled_message(username, address))
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username:
            LoginFailure.objects.create(username=username, ip_address=address)
        return user
