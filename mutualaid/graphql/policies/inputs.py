"""The policy API's inputs (town schema). ``PolicyDraftInput`` has one field per parameter of the registry."""

from __future__ import annotations

import graphene

from mutualaid.graphql.policies.parameters import input_fields
from mutualaid.graphql.policies.types import (
    FundingSourceEnum,
    HardshipCategoryEnum,
    InsuranceTypeEnum,
    ThresholdBasisEnum,
    TreatmentEnum,
)

# 修改草稿的参数（只传需要修改的字段；金额为元）: every parameter, then an amendment's date and reason.
PolicyDraftInput = type("PolicyDraftInput", (graphene.InputObjectType,), input_fields())


class FundingShareInput(graphene.InputObjectType):
    source = graphene.InputField(FundingSourceEnum, required=True)
    amount = graphene.String(required=True, description="每人每年出资（元）")


class SpecialGroupInput(graphene.InputObjectType):
    category = graphene.InputField(HardshipCategoryEnum, required=True)
    treatment = graphene.InputField(TreatmentEnum, required=True)
    paid_by = graphene.Field(FundingSourceEnum, description="个人出资部分由谁全额补助（仅免个人出资时）")


class ThresholdInput(graphene.InputObjectType):
    insurance_type = graphene.InputField(InsuranceTypeEnum, required=True)
    basis = graphene.InputField(ThresholdBasisEnum, required=True)
    amount = graphene.String(required=True, description="起付金额（元）")


class DrgRateInput(graphene.InputObjectType):
    drg_code = graphene.String(required=True)
    admissions_per_thousand = graphene.String(required=True, description='每千人年住院例数，如 "2.5"')


class SubsidyTableFormat(graphene.Enum):
    CSV = "csv"
    XLSX = "xlsx"
