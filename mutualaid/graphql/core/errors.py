"""Typed mutation errors: every mutation returns ``errors: [XxxError!]!`` with field, code enum and message."""

from __future__ import annotations

import logging
from enum import Enum

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError
from graphene.utils.str_converters import to_camel_case
from graphql import GraphQLError, GraphQLSyntaxError

from mutualaid.platform.audit.personal_data import PersonalDataBudgetExceeded

# Codes every operation may return, merged into each domain's code enum.
COMMON_CODES = {"NOT_FOUND": "not_found", "PERMISSION_DENIED": "permission_denied", "INVALID": "invalid"}

_error_types: dict[str, type[graphene.ObjectType]] = {}


class NotFound(Exception):
    """A missing object; a forbidden one is reported the same way."""

    def __init__(self, field: str | None = None, message: str = "对象不存在或无权访问"):
        super().__init__(message)
        self.field = field
        self.message = message


def error_type(name: str, codes: type[Enum]) -> type[graphene.ObjectType]:
    """An error object type ``<name>`` with a ``code`` enum ``<name>Code`` built from a domain enum."""
    if name in _error_types:
        return _error_types[name]
    members = dict(COMMON_CODES) | {member.name: member.value for member in codes}
    code_enum = graphene.Enum(f"{name}Code", list(members.items()))
    error = type(
        name,
        (graphene.ObjectType,),
        {
            "field": graphene.String(description="出错的输入字段；为空表示整体错误"),
            "code": graphene.Field(code_enum, required=True),
            "message": graphene.String(required=True),
            "__doc__": f"{name}: 错误字段、错误代码与中文说明",
            "allowed_codes": frozenset(members.values()),
        },
    )
    _error_types[name] = error
    return error


def _code(value: str | None, allowed: set[str]) -> str:
    return value if value in allowed else "invalid"


def api_path(field: str | None, renames: dict[str, str] | None = None) -> str | None:
    """The API path of a domain field name: ``subsidy_table.3.drg_code`` → ``subsidyTable.3.drgCode``.

    Domain code keys its errors by its own field names; this is the one place that maps them to the API's,
    with ``renames`` for an input whose name differs from the domain's (e.g. ``{"scheme_year": "year"}``).
    """
    if field is None or field == NON_FIELD_ERRORS:
        return None
    if renames and field in renames:
        return renames[field]
    head, _, rest = field.partition(".")
    if renames and head in renames:
        head = renames[head]
    return ".".join(_camel(part) for part in [head, *rest.split(".")] if part) if rest else _camel(head)


def _camel(part: str) -> str:
    """camelCase one part of a path, keeping a key in brackets as it is: ``subsidy_table[ES31]`` → ``subsidyTable[ES31]``."""
    name, bracket, key = part.partition("[")
    return to_camel_case(name) + bracket + key


def errors_from_validation(exc: ValidationError, error_cls, renames: dict[str, str] | None = None) -> list:
    allowed = error_cls.allowed_codes
    result = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.error_dict.items():
            for error in field_errors:
                message = error.message % error.params if error.params else error.message
                result.append(
                    error_cls(
                        field=api_path(field, renames),
                        code=_code(error.code, allowed),
                        message=str(message),
                    )
                )
    else:
        for error in exc.error_list:
            message = error.message % error.params if error.params else error.message
            result.append(error_cls(field=None, code=_code(error.code, allowed), message=str(message)))
    return result


# --- errors outside a mutation's payload: top-level GraphQL errors with ``extensions.code`` ----------------------


class ApiError(GraphQLError):
    """A typed top-level error: ``extensions.code`` is an upper-case code clients can switch on."""

    code = "INVALID"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **extensions):
        extensions["code"] = code or self.code
        if field:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


class InvalidInputError(ApiError):
    code = "INVALID_INPUT"


class InvalidPaginationError(ApiError):
    code = "INVALID_PAGINATION"


class NotFoundError(ApiError):
    code = "NOT_FOUND"


logger = logging.getLogger("mutualaid.graphql")

INTERNAL_MESSAGE = "服务器内部错误，已记录，请稍后重试"


def _typed(error: GraphQLError, code: str, message: str | None = None, **extra) -> dict:
    formatted = dict(error.formatted)
    if message is not None:
        formatted["message"] = message
    formatted["extensions"] = {**(error.extensions or {}), **extra, "code": code}
    return formatted


def format_error(error) -> dict:
    """Every error the API answers carries ``extensions.code``; raw Python messages never reach clients.

    Typed errors keep theirs; domain exceptions map to NOT_FOUND, PERMISSION_DENIED, the (upper-cased) code of
    a ValidationError, PERSONAL_DATA_BUDGET_EXCEEDED, or INVALID_INPUT for a value the database or Python cannot hold (DataError,
    ValueError, OverflowError); errors of the document itself are
    GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED; anything else is logged and answered as INTERNAL_ERROR.
    """
    if not isinstance(error, GraphQLError):
        logger.error("GraphQL request failed", exc_info=error)
        return {"message": INTERNAL_MESSAGE, "extensions": {"code": "INTERNAL_ERROR"}}
    if (error.extensions or {}).get("code"):
        return dict(error.formatted)
    original = error.original_error
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            return _typed(error, "GRAPHQL_PARSE_FAILED")
        if error.path is None:
            # validation of the document, or variables that do not fit their declared types
            return _typed(error, "GRAPHQL_VALIDATION_FAILED")
        logger.error("GraphQL field failed: %s (path %s)", error.message, error.path)
        return _typed(error, "INTERNAL_ERROR", INTERNAL_MESSAGE)
    if isinstance(original, GraphQLError):
        return format_error(original) | {"path": error.path, "locations": error.formatted.get("locations")}
    if isinstance(original, PersonalDataBudgetExceeded):
        return _typed(error, "PERSONAL_DATA_BUDGET_EXCEEDED", str(original))
    if isinstance(original, ObjectDoesNotExist | NotFound):
        return _typed(error, "NOT_FOUND", "对象不存在或无权访问")
    if isinstance(original, PermissionDenied):
        return _typed(error, "PERMISSION_DENIED", str(original) or "无权访问")
    if isinstance(original, ValidationError):
        first = original.error_list[0] if not hasattr(original, "error_dict") else None
        field = None
        if hasattr(original, "error_dict"):
            field, errors = next(iter(original.error_dict.items()))
            first = errors[0]
        code = (first.code or "invalid").upper() if first is not None else "INVALID"
        extra = {"field": api_path(field)} if api_path(field) else {}
        return _typed(error, code, "；".join(str(m) for m in original.messages), **extra)
    if isinstance(original, DataError | ValueError | OverflowError):
        # A value the database or Python cannot hold (too long, a year out of range, NUL): the input's fault,
        # not the server's. Logged with its traceback all the same: a check belongs in the domain.
        logger.warning("GraphQL input refused: %s", original, exc_info=original)
        return _typed(error, "INVALID_INPUT", "输入的值超出允许的长度或范围")
    logger.error("GraphQL resolver failed", exc_info=original)
    return _typed(error, "INTERNAL_ERROR", INTERNAL_MESSAGE)
