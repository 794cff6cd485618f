"""A database outage answers a typed 503, not a traceback page.

While PostgreSQL (or PgBouncer in front of it) is restarting, any query raises ``OperationalError`` or
``InterfaceError``: in a middleware (routing, bearer tokens, sessions) Django turns it into its 500 page, inside a
GraphQL resolver graphene turns it into an error entry. This middleware sits outermost and, when a connection of
this request failed and no longer answers, replaces whatever was produced with
``503 {"errors": [{"message": ..., "extensions": {"code": "DATABASE_UNAVAILABLE"}}]}`` and ``Retry-After``.
Django closes the broken connection when the request ends, so the next request connects afresh: recovery needs
nobody.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import JsonResponse

logger = logging.getLogger(__name__)

CODE = "DATABASE_UNAVAILABLE"
MESSAGE = "数据库暂时不可用，请稍后重试"
RETRY_AFTER_SECONDS = 5


def unavailable_response() -> JsonResponse:
    response = JsonResponse(
        {"errors": [{"message": MESSAGE, "extensions": {"code": CODE}}]},
        status=503,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_is_down() -> bool:
    """Whether a connection used by this request failed and does not answer now (an error that was only a bad
    query leaves the connection usable, and the response as it was)."""
    for connection in connections.all(initialized_only=True):
        if not connection.errors_occurred:
            continue
        if connection.connection is None or not connection.is_usable():
            return True
    return False


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except (
            OperationalError,
            InterfaceError,
        ):  # only when exceptions propagate (DEBUG_PROPAGATE_EXCEPTIONS)
            logger.warning("database unavailable: %s %s", request.method, request.path)
            return unavailable_response()
        if response.status_code != 503 and database_is_down():
            logger.warning("database unavailable: %s %s", request.method, request.path)
            return unavailable_response()
        return response
