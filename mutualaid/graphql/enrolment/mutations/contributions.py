"""recordContribution, reverseContribution."""

from __future__ import annotations

import graphene

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import Contribution, Enrolment
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.core.values import enum_value, fen, parse_date
from mutualaid.graphql.enrolment.context import current_user, object_or_404, terms_for, town_code
from mutualaid.graphql.enrolment.inputs import SourceAmountInput
from mutualaid.graphql.enrolment.mutations.base import EnrolmentError
from mutualaid.graphql.enrolment.types import ContributionType, MethodEnum


class RecordContribution(BaseMutation):
    """登记实收互助费（现金/银行转账/移动支付，附收据号），并记入资金池台账。"""

    contribution = graphene.Field(ContributionType)

    class Arguments:
        enrolment_id = graphene.ID(required=True)
        method = graphene.Argument(MethodEnum, required=True)
        receipt_number = graphene.String(required=True)
        reference = graphene.String(description="银行或移动支付流水号")
        amounts = graphene.List(graphene.NonNull(SourceAmountInput), description="默认：全部应收未收")
        received_on = graphene.String(description="收款日期 YYYY-MM-DD，默认今天")

    class Meta:
        permission = perms.RECORD_CONTRIBUTION
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, enrolment_id, **data):
        enrolment = object_or_404(Enrolment, enrolment_id, "Enrolment", "enrolmentId", "household__village")
        return perms.village(town_code(info), enrolment.household.village.code)

    @classmethod
    def perform_mutation(
        cls, info, enrolment_id, method, receipt_number, reference="", amounts=None, received_on=None
    ):
        enrolment = object_or_404(Enrolment, enrolment_id, "Enrolment", "enrolmentId")
        by_source = None
        if amounts is not None:
            by_source = {}
            for item in amounts:
                source = enum_value(item.source)
                by_source[source] = by_source.get(source, 0) + fen(item.amount, "amounts", allow_zero=True)
        contribution = actions.record_contribution(
            enrolment,
            method=enum_value(method),
            receipt_number=receipt_number,
            reference=reference or "",
            amounts_by_source=by_source,
            received_on=parse_date(received_on, "received_on", required=False),
            terms=terms_for(enrolment.scheme_year),
            actor=current_user(info),
        )
        return cls(contribution=contribution)


class ReverseContribution(BaseMutation):
    """冲销登记错误的互助费收入（互助费不退回；更正只能冲销后重新登记），须填写原因。"""

    contribution = graphene.Field(ContributionType)

    class Arguments:
        contribution_id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = perms.REVERSE_CONTRIBUTION
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, contribution_id, **data):
        found = object_or_404(
            Contribution, contribution_id, "Contribution", "contributionId", "enrolment__household__village"
        )
        return perms.village(town_code(info), found.enrolment.household.village.code)

    @classmethod
    def perform_mutation(cls, info, contribution_id, reason):
        contribution = object_or_404(Contribution, contribution_id, "Contribution", "contributionId")
        reversal = actions.reverse_contribution(contribution, reason=reason, actor=current_user(info))
        contribution.reversal_reason = reversal.reason
        return cls(contribution=contribution)
