"""What the claims mutations share: the error type, and claims looked up from IDs with the caller's visibility
(a claim the caller may not see is NOT_FOUND, like a missing one)."""

from __future__ import annotations

from mutualaid.claims import permissions as perms
from mutualaid.claims.error_codes import ClaimErrorCode
from mutualaid.claims.models import Claim
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.mutations import NotFound, pk_from_global_id
from mutualaid.platform.accounts.permissions import Target

ClaimError = error_type("ClaimError", ClaimErrorCode)


def town_code(info) -> str:
    return info.context.tenant.code


def visible_claim(info, global_id: str, field: str = "id", rule=perms.READ_CLAIMS) -> Claim:
    pk = pk_from_global_id(global_id, "Claim", field)
    claim = Claim.objects.select_related("member").filter(pk=pk).first()
    if claim is None or not perms.can(info.context.user, rule, claim):
        raise NotFound(field)
    return claim


def claim_target(info, claim: Claim) -> Target:
    """The target the mutation's rule is checked against: the claim's village in this town. (A member's own
    household was checked when the claim was looked up.)"""
    return Target.town(town_code(info), claim.village_code)
