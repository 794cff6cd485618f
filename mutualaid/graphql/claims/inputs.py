"""Inputs of the claims API. Amounts are yuan decimal strings; dates are ``Date``."""

from __future__ import annotations

import graphene
from graphene.utils.str_converters import to_camel_case

from mutualaid.graphql.claims.types import CauseEnum, ClaimInsuranceEnum, HospitalLevelEnum
from mutualaid.graphql.core.values import enum_value, fen


class ClaimInput(graphene.InputObjectType):
    """一次住院的申请信息（修改时只填要改的字段）。"""

    hospital_name = graphene.String(description="医院名称")
    hospital_level = graphene.Argument(HospitalLevelEnum)
    hospital_designated = graphene.Boolean(description="当地医保部门认定的定点医院")
    hospital_mainland = graphene.Boolean(description="境内医院（不含国外及港澳台）")
    admission_date = graphene.Date()
    discharge_date = graphene.Date()
    inpatient = graphene.Boolean(description="住院治疗")
    cause = graphene.Argument(CauseEnum)
    insurance_type = graphene.Argument(ClaimInsuranceEnum)
    total_cost = graphene.String(description="住院总费用（元）")
    insurance_paid = graphene.String(description="基本医保等报销（元）")
    out_of_pocket = graphene.String(description="个人支付（元）")
    diagnosis_codes = graphene.List(
        graphene.NonNull(graphene.String), description="诊断 ICD-10（第一个为主要诊断）"
    )
    procedure_codes = graphene.List(graphene.NonNull(graphene.String), description="手术操作 ICD-9-CM-3")
    bank_card = graphene.String(description="收款银行卡号")
    bank_name = graphene.String(description="开户行")


# The input's names for the domain's fields (errors are keyed by the domain's names).
ERROR_RENAMES = {
    **{name: f"input.{to_camel_case(name)}" for name in ClaimInput._meta.fields},
    "total_cost_fen": "input.totalCost",
    "insurance_paid_fen": "input.insurancePaid",
    "out_of_pocket_fen": "input.outOfPocket",
    "member": "memberId",
}
_PLAIN = (
    "hospital_name",
    "hospital_designated",
    "hospital_mainland",
    "admission_date",
    "discharge_date",
    "inpatient",
    "diagnosis_codes",
    "procedure_codes",
    "bank_card",
    "bank_name",
)


def claim_data(value) -> dict:
    """The domain's dict of the given fields (amounts as fen: a malformed amount is a typed error)."""
    value = value or {}
    data = {name: value.get(name) for name in _PLAIN if value.get(name) is not None}
    for name in ("hospital_level", "cause", "insurance_type"):
        if value.get(name) is not None:
            data[name] = enum_value(value.get(name))
    for name, field in (("total_cost", "total_cost_fen"), ("insurance_paid", "insurance_paid_fen"),
                        ("out_of_pocket", "out_of_pocket_fen")):  # fmt: skip
        if value.get(name) is not None:
            data[field] = fen(value.get(name), field, allow_zero=True)
    return data
