"""fundCloseYear: the year-end close."""

from __future__ import annotations

import graphene

from mutualaid.funds import actions
from mutualaid.funds.permissions import CLOSE_FUND_YEAR
from mutualaid.graphql.funds.mutations.base import FundsError, TownFundMutation
from mutualaid.graphql.funds.types import FundSummaryType, FundYearType, summary_of


class FundCloseYear(TownFundMutation):
    """年终结账：本年结余（收入 − 支出，含已确认未支付）结转为下一年度的上年结转。"""

    fund_year = graphene.Field(FundYearType)
    next_year = graphene.Field(FundSummaryType, description="下一年度资金池余额")

    class Arguments:
        scheme_year = graphene.Int(required=True)

    class Meta:
        permission = CLOSE_FUND_YEAR
        error_type = FundsError

    @classmethod
    def perform_mutation(cls, info, scheme_year):
        year = actions.close_year(scheme_year, info.context.user)
        return cls(fund_year=year, next_year=summary_of(scheme_year + 1))
