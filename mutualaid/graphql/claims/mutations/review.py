"""startClaimReview, approveClaim, rejectClaim, requestClaimInformation: the service firm's reviewer, for the
towns the firm serves."""

from __future__ import annotations

import graphene
from django.core.exceptions import PermissionDenied, ValidationError

from mutualaid.claims import actions
from mutualaid.claims import permissions as perms
from mutualaid.graphql.claims.mutations.apply import ClaimMutation
from mutualaid.graphql.claims.mutations.base import ClaimError, claim_target, visible_claim
from mutualaid.graphql.claims.types import ClaimType
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.core.values import fen

MAX_BATCH = 500


class ReviewMutation(ClaimMutation):
    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, id, **data):
        return claim_target(info, visible_claim(info, id))


class StartClaimReview(ReviewMutation):
    """开始审核（已提交或重新提交的申请）；有分组器时给出建议病组。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = perms.REVIEW_CLAIMS
        error_type = ClaimError

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(claim=actions.start_review(visible_claim(info, id), actor=info.context.user))


class ApproveClaim(ReviewMutation):
    """核准补助：按规则计算金额并记入台账（应付补助）。改动建议病组或计算金额须填写理由。"""

    class Arguments:
        id = graphene.ID(required=True)
        drg_code = graphene.String(
            description="DRG 病组（核对分组方案目录）；默认为申请当前或分组器建议的病组"
        )
        amount = graphene.String(description="核定金额（元）；与计算金额不同时须填写理由")
        override_reason = graphene.String(description="调整病组或金额的理由")
        note = graphene.String(description="审核意见")

    class Meta:
        permission = perms.REVIEW_CLAIMS
        error_type = ClaimError
        error_renames = {"amount_fen": "amount"}

    @classmethod
    def perform_mutation(cls, info, id, drg_code=None, amount=None, override_reason="", note=""):
        claim = visible_claim(info, id)
        amount_fen = fen(amount, "amount_fen") if amount not in (None, "") else None
        return cls(
            claim=actions.approve(
                claim,
                actor=info.context.user,
                drg_code=drg_code,
                amount_fen=amount_fen,
                override_reason=override_reason or "",
                note=note or "",
            )
        )


class RejectClaim(ReviewMutation):
    """不予补助（须填写理由，短信告知申请人）。"""

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = perms.REVIEW_CLAIMS
        error_type = ClaimError

    @classmethod
    def perform_mutation(cls, info, id, reason):
        return cls(claim=actions.reject(visible_claim(info, id), actor=info.context.user, reason=reason))


class RequestClaimInformation(ReviewMutation):
    """要求补充材料（须说明补充什么，短信告知申请人）。"""

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = perms.REVIEW_CLAIMS
        error_type = ClaimError

    @classmethod
    def perform_mutation(cls, info, id, reason):
        return cls(
            claim=actions.request_info(visible_claim(info, id), actor=info.context.user, reason=reason)
        )


class ApproveClaims(BaseMutation):
    """一次核准多件审核中的申请（均按规则计算金额与病组，不调整）；规则不予核准的留在审核中并说明理由。"""

    claims = graphene.List(graphene.NonNull(ClaimType), required=True, description="已核准的申请")
    left_in_review = graphene.List(
        graphene.NonNull(ClaimType),
        required=True,
        description="规则不予核准、仍在审核中的申请（见其试算理由）",
    )

    class Arguments:
        ids = graphene.List(graphene.NonNull(graphene.ID), required=True)
        note = graphene.String(description="审核意见")

    class Meta:
        permission = perms.REVIEW_CLAIMS
        error_type = ClaimError

    @classmethod
    def _claims(cls, info, ids):
        if not ids or len(ids) > MAX_BATCH:
            raise ValidationError(
                {"ids": ValidationError(f"请选择 1 至 {MAX_BATCH} 件申请", code="invalid_choice")}
            )
        return [visible_claim(info, global_id, f"ids.{n}") for n, global_id in enumerate(ids)]

    @classmethod
    def get_target(cls, info, ids, **data):
        claims = cls._claims(info, ids)
        # Every claim must be the reviewer's: the rule is checked on each claim's village here, then on the town.
        for claim in claims:
            if not perms.can(info.context.user, perms.REVIEW_CLAIMS, claim):
                raise PermissionDenied
        return claim_target(info, claims[0])

    @classmethod
    def perform_mutation(cls, info, ids, note=""):
        approved, left = actions.approve_many(
            cls._claims(info, ids), actor=info.context.user, note=note or ""
        )
        return cls(claims=approved, left_in_review=[claim for claim, _ in left])
