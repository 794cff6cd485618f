"""Typed mutation errors: every mutation returns ``errors: [XxxError!]!`` with field, code enum and message."""

from __future__ import annotations

from enum import Enum

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

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


def errors_from_validation(exc: ValidationError, error_cls) -> list:
    allowed = error_cls.allowed_codes
    result = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.error_dict.items():
            for error in field_errors:
                message = error.message % error.params if error.params else error.message
                result.append(
                    error_cls(
                        field=None if field == NON_FIELD_ERRORS else field,
                        code=_code(error.code, allowed),
                        message=str(message),
                    )
                )
    else:
        for error in exc.error_list:
            message = error.message % error.params if error.params else error.message
            result.append(error_cls(field=None, code=_code(error.code, allowed), message=str(message)))
    return result
