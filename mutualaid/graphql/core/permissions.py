"""Declared permissions on query fields: the resolver names its Rule and how to find the target."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from graphql import GraphQLError

from mutualaid.platform.accounts.permissions import Rule, Target, has_permission


class PermissionDeniedError(GraphQLError):
    def __init__(self, message: str = "无权访问"):
        super().__init__(message, extensions={"code": "PERMISSION_DENIED"})


def current_town_target(info, *args, **kwargs) -> Target:
    return Target.town(info.context.tenant.code)


def permission_required(rule: Rule, target: Callable[..., Target] = current_town_target):
    def decorator(resolver):
        @wraps(resolver)
        def wrapper(root, info, *args, **kwargs):
            if not has_permission(info.context.user, rule, target(info, *args, **kwargs)):
                raise PermissionDeniedError(
                    "请先登录" if not info.context.user.is_authenticated else "无权访问"
                )
            return resolver(root, info, *args, **kwargs)

        wrapper.permission_rule = rule  # type: ignore[attr-defined]
        return wrapper

    return decorator
