"""Input objects of the fund ledger's mutations."""

from __future__ import annotations

import graphene

from mutualaid.graphql.funds.types import FundSourceEnum


class FundSourceAmountInput(graphene.InputObjectType):
    source = graphene.InputField(FundSourceEnum, required=True)
    amount = graphene.String(required=True, description="金额（元）")
