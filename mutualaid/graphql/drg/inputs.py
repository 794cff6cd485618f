"""The input of ``drgGroup``: one hospital stay as the grouper reads it."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.values import enum_value

DrgStaySexEnum = graphene.Enum("DrgStaySex", [("MALE", 1), ("FEMALE", 2)], description="性别：男 / 女")

# Domain field names of a stay whose API input is named differently (errors are reported on the API's names).
STAY_RENAMES = {"weight": "birthWeight", "los": "lengthOfStay", "leaving_type": "dischargeType"}


class DrgStayInput(graphene.InputObjectType):
    sex = graphene.Field(DrgStaySexEnum, description="性别（男性/女性生殖系统 MDC 按此入组）")
    age = graphene.Int(description="年龄（岁）；不足 1 岁为 0")
    age_days = graphene.Int(description="年龄（天），1 岁以下必填：新生儿（< 29 天）进入新生儿 ADRG")
    birth_weight = graphene.Int(description="出生体重（克），新生儿按此细分")
    length_of_stay = graphene.Int(description="住院天数（记录用，分组表不使用）")
    discharge_type = graphene.String(description="离院方式（记录用，分组表不使用）")
    diagnoses = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="ICD-10 医保版诊断编码，第一个为主要诊断",
    )
    procedures = graphene.List(
        graphene.NonNull(graphene.String), description="ICD-9-CM-3 医保版手术操作编码，第一个为主要手术或操作"
    )

    class Meta:
        name = "DrgStayInput"


def stay_from_input(data) -> dict:
    """The API input as the keyword arguments of ``Grouper.group`` (domain names)."""
    return {
        "sex": enum_value(data.get("sex")),
        "age": data.get("age"),
        "age_days": data.get("age_days"),
        "weight": data.get("birth_weight"),
        "los": data.get("length_of_stay"),
        "leaving_type": data.get("discharge_type"),
        "diagnoses": list(data.get("diagnoses") or []),
        "procedures": list(data.get("procedures") or []),
    }
