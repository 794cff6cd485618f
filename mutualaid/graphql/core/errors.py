"""Typed mutation errors: every mutation returns ``errors: [XxxError!]!`` with field, code enum and message."""

from __future__ import annotations

from enum import Enum

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from graphene.utils.str_converters import to_camel_case

# Codes every operation may return, merged into each domain's code enum.
COMMON_CODES = {"NOT_FOUND": "not_found", "PERMISSION_DENIED": "permission_denied", "INVALID": "invalid"}

_error_types: dict[str, type[graphene.ObjectType]] = {}


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
    return ".".join(to_camel_case(part) for part in [head, *rest.split(".")] if part) if rest else to_camel_case(head)


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
