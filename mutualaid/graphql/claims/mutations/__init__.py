"""The claims mutations, one module per family: the applicant's and the reviewer's."""

from __future__ import annotations

import graphene

from mutualaid.graphql.claims.mutations.apply import (
    ApplyForClaim,
    ResubmitClaim,
    SubmitClaim,
    UpdateClaim,
    UploadClaimDocument,
)
from mutualaid.graphql.claims.mutations.review import (
    ApproveClaim,
    ApproveClaims,
    RejectClaim,
    RequestClaimInformation,
    StartClaimReview,
)


class ClaimMutations(graphene.ObjectType):
    apply_for_claim = ApplyForClaim.Field()
    update_claim = UpdateClaim.Field()
    upload_claim_document = UploadClaimDocument.Field()
    submit_claim = SubmitClaim.Field()
    resubmit_claim = ResubmitClaim.Field()
    start_claim_review = StartClaimReview.Field()
    approve_claim = ApproveClaim.Field()
    approve_claims = ApproveClaims.Field()
    reject_claim = RejectClaim.Field()
    request_claim_information = RequestClaimInformation.Field()
