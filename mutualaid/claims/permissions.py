"""Who may do what with claims, and which claims a user sees. Checked in one place: ``can(user, rule, claim)``
and ``visible_filter(user, rule, town_code)``.

- A member (role ``member`` in the town) sees and files the claims of their own household: the household of the
  town's member whose phone number is the user's (matched by keyed hash; ``User.phone_hash``).
- A village coordinator sees and files the claims of members of their village.
- The town admin and town finance see the town's claims (the admin may file for a member too).
- A service-firm reviewer sees and reviews the claims of the towns their firm serves.
"""

from __future__ import annotations

from django.db.models import Q

from mutualaid.enrolment.models import Member
from mutualaid.platform.accounts.permissions import Rule, Target, grants, has_permission
from mutualaid.platform.accounts.roles import Role

APPLY_CLAIM = Rule("apply_claim", Role.MEMBER, Role.VILLAGE_COORDINATOR, Role.TOWN_ADMIN)
READ_CLAIMS = Rule(
    "read_claims",
    Role.MEMBER,
    Role.VILLAGE_COORDINATOR,
    Role.TOWN_ADMIN,
    Role.TOWN_FINANCE,
    Role.FIRM_REVIEWER,
    Role.AUDITOR,
)
# Documents: the same people as the claim, but town finance needs only amounts and states.
READ_CLAIM_DOCUMENTS = Rule(
    "read_claim_documents",
    Role.MEMBER,
    Role.VILLAGE_COORDINATOR,
    Role.TOWN_ADMIN,
    Role.FIRM_REVIEWER,
    Role.AUDITOR,
)
# Full names of applicants: the member's household, the village and the town office; reviewers and finance see
# them masked.
READ_FULL_NAMES = Rule("read_claimant_names", Role.MEMBER, Role.VILLAGE_COORDINATOR, Role.TOWN_ADMIN)
REVIEW_CLAIMS = Rule("review_claims", Role.FIRM_REVIEWER)
READ_REVIEW_QUEUE = Rule("read_review_queue", Role.FIRM_REVIEWER)
# Reopening an approved, unpaid claim into review (a disclosure objection the firm upholds): the firm's reviewer
# who handles the objection. A paid claim is not reopened: it goes to payouts' recovery (the town admin).
REOPEN_CLAIMS = Rule("reopen_claims", Role.FIRM_REVIEWER)

ALL_VILLAGES = "*"  # a village code no coordinator holds: town-wide reads


def _without_member(rule: Rule) -> Rule:
    return Rule(rule.name, *(r for r in rule.roles if r != Role.MEMBER), staff=rule.staff)


def member_household_ids(user, town_code: str) -> set[int]:
    """The households (in the current town schema) whose member the user is, by phone number."""
    if user is None or not user.is_authenticated or not getattr(user, "phone_hash", ""):
        return set()
    if not any(g.role == Role.MEMBER and town_code in g.town_codes for g in grants(user)):
        return set()
    cache = user.__dict__.setdefault("_claims_households", {})  # per user object, i.e. per request
    if town_code not in cache:
        cache[town_code] = set(
            Member.objects.filter(phone_hash=user.phone_hash).values_list("household_id", flat=True)
        )
    return cache[town_code]


def can(user, rule: Rule, claim) -> bool:
    """Whether ``user`` may apply ``rule`` to ``claim`` (an object with ``village_code`` and ``household_id``)
    in the current town."""
    from django.db import connection

    town_code = connection.tenant.code  # type: ignore[attr-defined]
    return can_in(user, rule, town_code, claim.village_code, claim.household_id)


def can_in(user, rule: Rule, town_code: str, village_code: str, household_id: int) -> bool:
    if has_permission(user, _without_member(rule), Target.town(town_code, village_code)):
        return True
    if Role.MEMBER in rule.roles:
        return household_id in member_household_ids(user, town_code)
    return False


def visible_filter(user, rule: Rule, town_code: str) -> Q:
    """A Claim filter for the claims ``user`` may see under ``rule`` in this town."""
    if has_permission(user, _without_member(rule), Target.town(town_code, ALL_VILLAGES)):
        return Q()
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    query = Q(pk__in=[])
    villages = {
        g.village_code
        for g in grants(user)
        if g.role in rule.roles and g.role != Role.MEMBER and g.village_code and town_code in g.town_codes
    }
    if villages:
        query |= Q(village_code__in=villages)
    if Role.MEMBER in rule.roles:
        households = member_household_ids(user, town_code)
        if households:
            query |= Q(household_id__in=households)
    return query


def sees_full_names(user, claim) -> bool:
    return can(user, READ_FULL_NAMES, claim)


def may_read_review_queue(user) -> bool:
    """The queue spans towns: a reviewer of any firm reads it (each firm's rows only), and platform staff."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or any(g.role in READ_REVIEW_QUEUE.roles for g in grants(user))


def has_role_in(user, town_code: str, role: str) -> bool:
    return any(g.role == role and town_code in g.town_codes for g in grants(user))
