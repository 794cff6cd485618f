"""Required fields of input objects are non-null in the committed SDL (issue 22 item 14): a field declared
``required=True`` in graphene, an enum through ``graphene.Field(Enum, required=True)`` included, must read ``X!`` in
``mutualaid/graphql/schema/*.graphql`` so clients and graphql-core's validation enforce it."""

from __future__ import annotations

import graphene
import pytest
from graphene.utils.str_converters import to_camel_case
from graphql import GraphQLInputObjectType, GraphQLNonNull, Undefined, build_schema, parse, validate

from mutualaid.graphql.api import platform_schema, town_schema
from mutualaid.graphql.sdl import SDL_DIR


def _declared_required(schema: graphene.Schema) -> list[tuple[str, str]]:
    required = []
    for name, gql_type in schema.graphql_schema.type_map.items():
        graphene_type = getattr(gql_type, "graphene_type", None)
        if not isinstance(gql_type, GraphQLInputObjectType) or graphene_type is None:
            continue
        for attr, field in graphene_type._meta.fields.items():
            if isinstance(field.type, graphene.NonNull):
                required.append((name, field.name or to_camel_case(attr)))
    return required


@pytest.mark.parametrize("name, schema", [("platform", platform_schema), ("town", town_schema)])
def test_every_required_input_field_is_non_null_in_the_committed_sdl(name, schema):
    committed = build_schema((SDL_DIR / f"{name}.graphql").read_text())
    declared = _declared_required(schema)
    assert declared, "the walk found no required input fields"
    nullable = [
        f"{type_name}.{field}"
        for type_name, field in declared
        if not isinstance(committed.type_map[type_name].fields[field].type, GraphQLNonNull)
    ]
    assert nullable == []


@pytest.mark.parametrize("name, schema", [("platform", platform_schema), ("town", town_schema)])
def test_no_required_input_field_has_a_default_in_the_live_schema(name, schema):
    """graphql-core lets a client leave out a non-null input field that has a default; graphene gives
    ``graphene.Field(Enum, required=True)`` a default of None, so the field was optional in practice."""
    defaulted = [
        f"{type_name}.{field_name}"
        for type_name, gql_type in schema.graphql_schema.type_map.items()
        if isinstance(gql_type, GraphQLInputObjectType) and not type_name.startswith("__")
        for field_name, field in gql_type.fields.items()
        if isinstance(field.type, GraphQLNonNull) and field.default_value is not Undefined
    ]
    assert defaulted == []


def test_graphql_core_refuses_a_left_out_required_enum():
    query = 'mutation { policyFundingSharesSet(id: "x", shares: [{amount: "45.00"}]) { errors { code } } }'
    errors = validate(town_schema.graphql_schema, parse(query))
    assert errors, "leaving out FundingShareInput.source passed validation"
    assert "source" in errors[0].message


@pytest.mark.parametrize(
    "type_name, field",
    [
        ("FundingShareInput", "source"),
        ("SpecialGroupInput", "category"),
        ("SpecialGroupInput", "treatment"),
        ("ThresholdInput", "insuranceType"),
        ("ThresholdInput", "basis"),
        ("FundSourceAmountInput", "source"),
        ("SourceAmountInput", "source"),
    ],
)
def test_the_enum_fields_the_issue_names_are_required(type_name, field):
    committed = build_schema((SDL_DIR / "town.graphql").read_text())
    assert isinstance(committed.type_map[type_name].fields[field].type, GraphQLNonNull)
