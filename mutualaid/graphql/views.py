"""GraphQL views: deferred execution for sync DataLoaders; the town view only serves a routed town.

CSRF: a browser signed in with a session could otherwise be made to post a mutation from another site (town
sub-domains share one site, so SameSite=Lax does not help). Requests authenticated by a session must carry a
valid CSRF token (Django's own check: cookie + ``X-CSRFToken`` header, origin and referer); requests that sent a
bearer token, which a browser never adds by itself, and anonymous requests skip it.

Every request also passes the depth/alias/cost rules (``api.validation_rules``) and the argument guards
(``core.guards``), and every error it answers carries ``extensions.code`` (``core.errors.format_error``).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import HttpError
from graphene_file_upload.django import FileUploadGraphQLView

from mutualaid.graphql.api import platform_schema, town_schema, validation_rules
from mutualaid.graphql.core.errors import format_error
from mutualaid.graphql.core.execution import BatchingExecutionContext
from mutualaid.graphql.core.guards import InputGuardMiddleware


class _Refused:
    def __init__(self, reason: str):
        self.reason = reason


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering the reason of a refusal instead of its HTML page."""

    def _reject(self, request, reason):
        return _Refused(reason)


def _csrf_exempt_view(request):  # the callback handed to the check: not itself exempt
    return None


def _never_called(request) -> HttpResponse:  # the check's get_response: process_view alone is used
    return HttpResponse()


def csrf_refusal(request) -> str | None:
    """Why a session-authenticated request fails the CSRF check, or None when it passes or needs none."""
    if getattr(request, "token_authenticated", False) or not request.user.is_authenticated:
        return None
    outcome = _CsrfCheck(_never_called).process_view(request, _csrf_exempt_view, (), {})
    return outcome.reason if isinstance(outcome, _Refused) else None


class _GraphQLView(FileUploadGraphQLView):  # GraphQL multipart requests (file uploads)
    def __init__(self, **kwargs):
        kwargs.setdefault("execution_context_class", BatchingExecutionContext)
        kwargs.setdefault("validation_rules", validation_rules)
        kwargs.setdefault("middleware", [InputGuardMiddleware()])
        super().__init__(**kwargs)

    @staticmethod
    def format_error(error):
        if isinstance(error, HttpError):  # a request that is not GraphQL at all (no query, wrong method)
            return {"message": error.message or str(error), "extensions": {"code": "BAD_REQUEST"}}
        return format_error(error)

    def dispatch(self, request, *args, **kwargs):
        reason = csrf_refusal(request)
        if reason is not None:
            message = "请求缺少有效的 CSRF 令牌（使用会话登录时必须携带；API 客户端请使用 Bearer 令牌）"
            return JsonResponse(
                {"errors": [{"message": message, "extensions": {"code": "CSRF_FAILED", "reason": reason}}]},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)


# The view enforces CSRF itself (above), only for session-authenticated requests.
@method_decorator(csrf_exempt, name="dispatch")
class PlatformGraphQLView(_GraphQLView):
    def __init__(self, **kwargs):
        kwargs.setdefault("schema", platform_schema)
        super().__init__(**kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class TownGraphQLView(_GraphQLView):
    def __init__(self, **kwargs):
        kwargs.setdefault("schema", town_schema)
        super().__init__(**kwargs)

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            raise Http404("not a town")
        return super().dispatch(request, *args, **kwargs)
