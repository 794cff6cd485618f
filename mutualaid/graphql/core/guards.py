"""Checks on every field's arguments before its resolver runs (GraphQL middleware, installed by the views).

- Strings anywhere in the arguments (nested inputs and lists included) must not hold NUL or lone surrogates:
  PostgreSQL refuses NUL and UTF-8 cannot encode surrogates, and neither is ever typed by a person.
- Connections: ``first``/``last``/``offset`` are not negative, ``first``/``last`` stay within the page limit,
  ``offset`` does not come with ``before``, and cursors are ones this API handed out.
- An explicit ``null`` for an argument that has a default means the default (``beforeClosing: null``).
- A non-null field of an input object is present: graphene gives ``graphene.Field(Enum, required=True)`` inside
  an ``InputObjectType`` a default of ``None``, so graphql-core let it be left out and the resolver got None.
- A ``schemeYear`` argument is a plausible year (1900–2200: never negative; actions check narrower ranges).
- ``node(id:)`` with an ID that is not one of ours is NOT_FOUND, not graphene's parse message.

Each refusal is a typed error (``extensions.code``), raised before any database work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from graphene.relay import Connection
from graphene_django.settings import graphene_settings
from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    Undefined,
    get_named_type,
)
from graphql_relay.utils import unbase64

from mutualaid.graphql.core.errors import InvalidInputError, InvalidPaginationError, NotFoundError

_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")
_CURSOR_PREFIX = "arrayconnection:"


def _bad_string(value) -> bool:
    if isinstance(value, str):
        return _FORBIDDEN.search(value) is not None
    if isinstance(value, Mapping):
        return any(_bad_string(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_bad_string(item) for item in value)
    return False


def _missing_required(value, type_, path: str) -> str | None:
    """The path of a non-null input field that arrived as None, if any."""
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            return path
        type_ = type_.of_type
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list | tuple) else [value]
        for i, item in enumerate(items):
            found = _missing_required(item, type_.of_type, f"{path}.{i}")
            if found:
                return found
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
        for name, field in type_.fields.items():
            found = _missing_required(value.get(field.out_name or name), field.type, f"{path}.{name}")
            if found:
                return found
    return None


def _check_required(info, args: Mapping) -> None:
    for name, argument in info.parent_type.fields[info.field_name].args.items():
        if isinstance(get_named_type(argument.type), GraphQLInputObjectType):
            missing = _missing_required(args.get(argument.out_name or name), argument.type, name)
            if missing:
                raise InvalidInputError(f"缺少必填字段：{missing}", field=missing)


def _cursor_ok(cursor: str) -> bool:
    try:
        text = unbase64(cursor)
    except Exception:
        return False
    if not text.startswith(_CURSOR_PREFIX):
        return False
    offset = text[len(_CURSOR_PREFIX) :]
    return offset.isascii() and offset.isdigit()


def _is_connection(info) -> bool:
    graphene_type = getattr(get_named_type(info.return_type), "graphene_type", None)
    return isinstance(graphene_type, type) and issubclass(graphene_type, Connection)


def check_pagination(args: Mapping, field_name: str) -> None:
    limit = graphene_settings.RELAY_CONNECTION_MAX_LIMIT
    for name in ("first", "last", "offset"):
        value = args.get(name)
        if value is not None and value < 0:
            raise InvalidPaginationError(f"{name} 不能为负数", field=name)
    for name in ("first", "last"):
        value = args.get(name)
        if value is not None and limit and value > limit:
            raise InvalidPaginationError(f"{name} 每页最多 {limit} 条", field=name)
    if args.get("offset") is not None and args.get("before") is not None:
        raise InvalidPaginationError("offset 不能与 before 同时使用", field="offset")
    for name in ("after", "before"):
        cursor = args.get(name)
        if cursor not in (None, "") and not _cursor_ok(cursor):
            raise InvalidPaginationError(f"{name} 游标无效（请使用本接口返回的 cursor）", field=name)


# A scheme year (互助年度) is a calendar year the scheme could run in: never negative, never centuries away.
SCHEME_YEARS = range(1900, 2201)


def _check_scheme_year(args: Mapping) -> None:
    year = args.get("scheme_year")
    if isinstance(year, int) and year not in SCHEME_YEARS:
        raise InvalidInputError(
            f"互助年度 {year} 不正确（应为 {SCHEME_YEARS[0]} 至 {SCHEME_YEARS[-1]} 年）", field="schemeYear"
        )


def _with_defaults(info, args: dict) -> dict:
    if None not in args.values():
        return args
    for gql_name, argument in info.parent_type.fields[info.field_name].args.items():
        name = argument.out_name or gql_name
        if args.get(name, Undefined) is None and argument.default_value not in (Undefined, None):
            args[name] = argument.default_value
    return args


class InputGuardMiddleware:
    def resolve(self, next_, root, info, **args):
        if not args:
            return next_(root, info)
        if _bad_string(args):
            raise InvalidInputError("输入中含有不允许的字符（如 NUL 或不成对的代理字符）")
        args = _with_defaults(info, args)
        _check_required(info, args)
        _check_scheme_year(args)
        if _is_connection(info):
            check_pagination(args, info.field_name)
        if info.field_name == "node" and root is None:
            return _node(next_, root, info, args)
        return next_(root, info, **args)


def _node(next_, root, info, args):
    try:
        return next_(root, info, **args)
    except GraphQLError:
        raise
    except Exception as exc:  # graphene's "Unable to parse global ID", an unknown type, a bad primary key
        raise NotFoundError("对象不存在或无权访问", field="id") from exc
