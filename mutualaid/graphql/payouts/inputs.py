"""Inputs of the payouts API."""

from __future__ import annotations

import graphene


class PayoutLineResultInput(graphene.InputObjectType):
    class Meta:
        name = "PayoutLineResultInput"
        description = "手工登记一笔明细的银行结果"

    line_id = graphene.ID(required=True)
    paid = graphene.Boolean(required=True, description="true 已到账；false 银行退回")
    reason = graphene.String(description="退回原因（退回时必填）")


class PayoutFileFormat(graphene.Enum):
    class Meta:
        name = "PayoutFileFormat"

    XLSX = "xlsx"
    CSV = "csv"
