"""Payout queries: the town's batches and one batch (town admin and finance), a coordinator's view of their own
village's paid and pending subsidies, recoveries, the town notices (通报) and bank reconciliations."""

from __future__ import annotations

import graphene

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.permissions import PermissionDeniedError, permission_required
from mutualaid.graphql.core.values import enum_value, yuan
from mutualaid.graphql.payouts.types import (
    PayoutBatchStateEnum,
    PayoutBatchType,
    ReconciliationType,
    RecoveryType,
    TownNoticeType,
    VillagePayoutType,
    town_code,
    town_pk,
)
from mutualaid.payouts import permissions as perms
from mutualaid.payouts.models import LineState, PayoutBatch, PayoutLine, Reconciliation, Recovery, TownNotice
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.platform.crypto import mask_name

PENDING = (ClaimState.APPROVED, ClaimState.IN_BATCH)


def village_target(info, village_code, *args, **kwargs) -> Target:
    return Target.town(town_code(info), village_code)


class PayoutQueries(graphene.ObjectType):
    payout_batches = graphene.List(
        graphene.NonNull(PayoutBatchType),
        required=True,
        state=graphene.Argument(PayoutBatchStateEnum),
        year=graphene.Int(description="发放月份所在年"),
        description="补助发放批次（新的在前）",
    )
    payout_batch = graphene.Field(PayoutBatchType, id=graphene.ID(required=True))
    village_payouts = graphene.List(
        graphene.NonNull(VillagePayoutType),
        required=True,
        village_code=graphene.String(required=True),
        description="本村成员的已发放与待发放补助（村协管员看本村）",
    )
    recoveries = graphene.List(graphene.NonNull(RecoveryType), required=True, description="补助追回")
    town_notices = graphene.List(graphene.NonNull(TownNoticeType), required=True, description="通报")
    bank_reconciliations = graphene.List(graphene.NonNull(ReconciliationType), required=True)

    @permission_required(perms.READ_BATCHES)
    def resolve_payout_batches(root, info, state=None, year=None):
        queryset = PayoutBatch.objects.all()
        if state:
            queryset = queryset.filter(state=enum_value(state))
        if year:
            queryset = queryset.filter(month__year=year)
        return list(queryset)

    @permission_required(perms.READ_BATCHES)
    def resolve_payout_batch(root, info, id):
        return PayoutBatch.objects.filter(pk=town_pk(info, id, "PayoutBatch", "id")).first()

    def resolve_village_payouts(root, info, village_code):
        user = info.context.user
        if not has_permission(user, perms.READ_VILLAGE_PAYOUTS, village_target(info, village_code)):
            raise PermissionDeniedError("请先登录" if not user.is_authenticated else "无权访问")
        claims = list(
            Claim.objects.filter(village_code=village_code, state__in=(*PENDING, ClaimState.PAID))
            .select_related("member")
            .order_by("-decided_at", "-pk")[:2000]
        )
        lines: dict[int, PayoutLine] = {}
        for line in (
            PayoutLine.objects.filter(claim_id__in=[c.pk for c in claims])
            .select_related("batch")
            .order_by("id")
        ):
            if line.claim_id is not None and (line.state != LineState.REMOVED or line.claim_id not in lines):
                lines[line.claim_id] = line
        # Names as the claims domain shows them: in full to the village and the town office, masked to finance.
        full_names = claim_perms.can_in(
            user, claim_perms.READ_FULL_NAMES, town_code(info), village_code, household_id=-1
        )
        result = []
        for claim in claims:
            line = lines.get(claim.pk)
            returned = line.return_reason if line and line.state == LineState.RETURNED else None
            result.append(
                VillagePayoutType(
                    claim_id=Node.to_global_id("Claim", claim.pk),
                    member_name=claim.member.name if full_names else mask_name(claim.member.name),
                    village_code=claim.village_code,
                    amount=yuan(claim.amount_fen or 0),
                    status="paid" if claim.state == ClaimState.PAID else "pending",
                    batch_month=line.batch.month if line and claim.state != ClaimState.APPROVED else None,
                    paid_on=line.batch.paid_on if line and claim.state == ClaimState.PAID else None,
                    return_reason=returned,
                )
            )
        return result

    @permission_required(perms.READ_BATCHES)
    def resolve_recoveries(root, info):
        return list(Recovery.objects.all())

    @permission_required(perms.READ_BATCHES)
    def resolve_town_notices(root, info):
        return list(TownNotice.objects.all())

    @permission_required(perms.RECONCILE_BANK)
    def resolve_bank_reconciliations(root, info):
        return list(Reconciliation.objects.all())
