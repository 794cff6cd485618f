"""Bearer tokens for API clients (Authorization: Bearer <token>); browser pages use sessions."""

from __future__ import annotations

from mutualaid.platform.accounts.actions import user_for_access_token


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer "):
            user = user_for_access_token(header[7:].strip())
            if user is not None:
                request.user = user
            else:
                from django.contrib.auth.models import AnonymousUser

                request.user = AnonymousUser()
            request.token_authenticated = True
        return self.get_response(request)
