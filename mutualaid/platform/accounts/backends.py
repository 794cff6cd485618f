"""Password authentication with throttling: after repeated failures a username is locked for a while."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from mutualaid.platform.accounts.models import LoginFailure


def is_throttled(username: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return (
        LoginFailure.objects.filter(username=username, at__gte=since).count() >= settings.LOGIN_FAILURE_LIMIT
    )


class LoginThrottled(PermissionDenied):
    pass


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and is_throttled(username):
            # PermissionDenied stops django.contrib.auth.authenticate from trying further backends.
            raise LoginThrottled("登录失败次数过多，请稍后再试")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username:
            ip = request.META.get("REMOTE_ADDR") if request is not None else None
            LoginFailure.objects.create(username=username, ip_address=ip)
        return user
