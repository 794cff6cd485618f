"""The policy parameter registry (``mutualaid.policies.parameters``) at the API edge.

One place turns each parameter into its API shape: the ``PolicyDraftInput`` field, the ``PolicyVersion`` output
field (amounts in yuan, choices as enums; plain columns come from the model), the ``clearFields`` names, the
input → domain conversion of a draft update, and the error paths (domain name → API name).
"""

from __future__ import annotations

from typing import Any

import graphene
from django.core.exceptions import ValidationError
from django.db import models
from graphene.utils.str_converters import to_camel_case

from mutualaid.graphql.core.errors import api_path
from mutualaid.graphql.core.values import enum_value, fen, yuan
from mutualaid.policies.parameters import AMENDMENT, PARAMETERS, Kind, Parameter

# Parameters the model gives the API as they are (dates, yes/no, whole numbers, text).
MODEL_KINDS = (Kind.DATE, Kind.BOOL, Kind.DAYS, Kind.BP, Kind.TEXT)
MODEL_OUTPUTS = tuple(p.name for p in (*AMENDMENT, *PARAMETERS) if p.kind in MODEL_KINDS)
# Domain names whose API name is not their camelCase (amounts are yuan at the API: fee_per_person_fen → feePerPerson).
ERROR_RENAMES: dict[str, str] = {
    p.name: to_camel_case(p.api) for p in (*PARAMETERS, *AMENDMENT) if p.api != p.name
}
# clearFields: the API names of the parameters a draft may empty again.
CLEARABLE: dict[str, Parameter] = {to_camel_case(p.api): p for p in PARAMETERS if p.clearable}

_enums: dict[type, type[graphene.Enum]] = {}


def enum_for(choices: type[models.TextChoices]) -> type[graphene.Enum]:
    """The API enum of a parameter's choices (``PolicyExclusionCause`` for ``ExclusionCause``), made once."""
    if choices not in _enums:
        _enums[choices] = graphene.Enum.from_enum(choices, name=f"Policy{choices.__name__}")
    return _enums[choices]


def api_name(domain_path: str | None) -> str | None:
    """A domain field path as the API names it (``funding_shares.charity`` → ``fundingShares.charity``)."""
    return api_path(domain_path, ERROR_RENAMES)


def input_field(p: Parameter):
    help_text = p.input_help or None
    if p.kind is Kind.FEN or p.kind is Kind.TEXT:
        return graphene.String(description=help_text)
    if p.kind is Kind.DATE:
        return graphene.Date(description=help_text)
    if p.kind is Kind.BOOL:
        return graphene.Boolean(description=help_text)
    if p.kind in (Kind.DAYS, Kind.BP):
        return graphene.Int(description=help_text)
    assert p.choices is not None
    if p.kind is Kind.CHOICE:
        return graphene.Field(enum_for(p.choices), description=help_text)
    return graphene.List(graphene.NonNull(enum_for(p.choices)), description=help_text)


def input_fields() -> dict[str, Any]:
    """``PolicyDraftInput``'s fields: every parameter, then the amendment's date and reason."""
    return {p.api: input_field(p) for p in (*PARAMETERS, *AMENDMENT)}


def _resolver(p: Parameter):
    if p.kind is Kind.FEN:
        return lambda policy, info: yuan(getattr(policy, p.name))
    if p.kind is Kind.CHOICES:
        return lambda policy, info: list(getattr(policy, p.name))
    return lambda policy, info: getattr(policy, p.name)


def _names_resolver(p: Parameter):
    assert p.choices is not None
    choices = p.choices
    return lambda policy, info: [choices(value).label for value in getattr(policy, p.name)]


def output_fields(parameters: tuple[Parameter, ...]) -> dict[str, Any]:
    """``PolicyVersion`` fields (with resolvers) of parameters the model does not give as they are."""
    attrs: dict[str, Any] = {}
    for p in parameters:
        if p.kind in MODEL_KINDS:
            continue
        if p.kind is Kind.FEN:
            attrs[p.api] = graphene.String(description=p.output_help or None)
        elif p.kind is Kind.CHOICE:
            assert p.choices is not None
            attrs[p.api] = graphene.Field(
                enum_for(p.choices), required=True, description=p.output_help or None
            )
        else:
            assert p.choices is not None
            attrs[p.api] = graphene.List(graphene.NonNull(enum_for(p.choices)), required=True)
            names = f"{p.api.removesuffix('s')}_names"
            attrs[names] = graphene.List(graphene.NonNull(graphene.String), required=True)
            attrs[f"resolve_{names}"] = _names_resolver(p)
        attrs[f"resolve_{p.api}"] = _resolver(p)
    return attrs


def draft_changes(data: dict, clear_fields=()) -> dict:
    """``PolicyDraftInput`` (yuan strings, enums) → ``actions.update_draft`` keyword arguments (fen, strings).

    A null or absent input field is left unchanged; optional parameters are emptied through ``clearFields``.
    """
    changes: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    for name in clear_fields or ():
        if name not in CLEARABLE:
            problems["clear_fields"] = [ValidationError(f"此项不能清空：{name}", code="invalid")]
        else:
            changes[CLEARABLE[name].name] = None
    for p in (*PARAMETERS, *AMENDMENT):
        value = data.get(p.api)
        if value is None:
            continue
        if p.kind is Kind.FEN:
            try:
                changes[p.name] = fen(value, field=p.name)
            except ValidationError as exc:
                problems.update(exc.error_dict)
        elif p.kind is Kind.CHOICES:
            changes[p.name] = [enum_value(v) for v in value]
        else:
            changes[p.name] = enum_value(value)
    if problems:
        raise ValidationError(problems)
    return changes
