"""The parameter registry is the one list of a policy's parameters: the model, the plain values, the publishing
checks, the draft update and the API all follow it, so a new parameter needs the registry, a migration and its
rule only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import fields

from graphene.utils.str_converters import to_camel_case

from mutualaid.graphql.policies.inputs import PolicyDraftInput
from mutualaid.graphql.policies.types import PolicyVersionType
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.parameters import AMENDMENT, PARAMETERS
from mutualaid.policies.values import PolicyValues


def test_every_parameter_is_a_column_with_its_label_and_unit():
    for parameter in PARAMETERS:
        column = PolicyVersion._meta.get_field(parameter.name)
        assert column.verbose_name == parameter.verbose_name
        assert column.null == (parameter.nullable and column.get_internal_type() != "JSONField")


def test_the_plain_values_carry_every_parameter_and_nothing_unknown():
    names = {f.name for f in fields(PolicyValues)}

    assert {p.name for p in (*PARAMETERS, *AMENDMENT)} <= names
    assert names - {p.name for p in (*PARAMETERS, *AMENDMENT)} == {
        "scheme_year",
        "version",
        "funding_shares",
        "special_groups",
        "thresholds",
        "subsidy_table",
        "defaulted_fields",
    }


def test_the_api_input_and_output_have_a_field_per_parameter():
    inputs = set(PolicyDraftInput._meta.fields)
    outputs = set(PolicyVersionType._meta.fields)

    for parameter in PARAMETERS:
        assert parameter.api in inputs
        assert parameter.api in outputs or parameter.name in outputs


NEW_PARAMETER = textwrap.dedent(
    """
    from dataclasses import replace

    from mutualaid.policies import parameters as registry

    waiting = registry.Parameter("waiting_days", registry.Kind.DAYS, "等待期（天）", required=True, default=30)
    registry.PARAMETERS = (*registry.PARAMETERS, waiting)
    registry.BY_NAME[waiting.name] = waiting

    import django

    django.setup()

    from django.core.exceptions import ValidationError

    from mutualaid.graphql.sdl import current_sdl
    from mutualaid.policies import actions
    from mutualaid.policies.documents import XINSHENG_2022
    from mutualaid.policies.models import PolicyVersion
    from mutualaid.policies.validation import validate_for_publishing

    assert PolicyVersion._meta.get_field("waiting_days").verbose_name == "等待期（天）"
    values = XINSHENG_2022.values
    assert values.waiting_days is None
    found = {(e.field, e.code) for e in validate_for_publishing(values)}
    assert ("waiting_days", "required") in found, found
    found = {(e.field, e.code) for e in validate_for_publishing(replace(values, waiting_days=0))}
    assert ("waiting_days", "not_positive") in found, found
    assert not [e for e in validate_for_publishing(replace(values, waiting_days=30)) if "waiting" in e.field]
    try:
        actions._check_scalar(waiting, 400)
    except ValidationError as exc:
        assert exc.error_dict["waiting_days"][0].code == "out_of_range"
    else:
        raise AssertionError("400 days accepted")
    town = current_sdl()["town"]
    draft_input = town[town.index("input PolicyDraftInput") :]
    assert "waitingDays: Int" in draft_input[: draft_input.index("}")]
    version = town[town.index("type PolicyVersion ") :]
    assert "waitingDays: Int" in version[: version.index("}")]
    print("ok")
    """
)


def test_a_new_parameter_reaches_the_model_checks_update_and_api_from_the_registry_alone():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mutualaid.project.settings"}

    result = subprocess.run(
        [sys.executable, "-c", NEW_PARAMETER], env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_api_names_of_renamed_parameters_are_their_yuan_names():
    renamed = {p.name: to_camel_case(p.api) for p in PARAMETERS if p.api != p.name}

    assert renamed == {
        "fee_per_person_fen": "feePerPerson",
        "per_stay_min_fen": "perStayMinimum",
        "per_stay_max_fen": "perStayMaximum",
        "yearly_cap_fen": "yearlyCap",
        "service_fee_per_person_fen": "serviceFeePerPerson",
    }
