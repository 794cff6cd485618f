"""Role × scope permissions, checked in one place.

Every operation declares a ``Rule``: which roles may call it. ``has_permission(user, rule, target)`` asks whether
the user holds one of those roles over a scope that covers the target (a county, a town, or a village of a town).
Platform staff (``is_staff``) pass every rule that allows staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from mutualaid.platform.accounts.roles import Role


@dataclass(frozen=True)
class Target:
    """Where an operation acts: codes from the national division hierarchy."""

    province_code: str | None = None
    county_code: str | None = None
    town_code: str | None = None
    village_code: str | None = None
    firm_id: int | None = None  # a service firm: only grants over that firm cover it

    @classmethod
    def platform(cls) -> Target:
        return cls()

    @classmethod
    def province(cls, province_code: str) -> Target:
        return cls(province_code)

    @classmethod
    def firm(cls, firm_id: int) -> Target:
        return cls(firm_id=firm_id)

    @classmethod
    def county(cls, county_code: str) -> Target:
        return cls(county_code[:2], county_code)

    @classmethod
    def town(cls, town_code: str, village_code: str | None = None) -> Target:
        return cls(town_code[:2], town_code[:6], town_code, village_code)


@dataclass(frozen=True, init=False)
class Rule:
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    staff: bool = True
    any_signed_in: bool = False

    def __init__(self, name: str, *roles: str, staff: bool = True, any_signed_in: bool = False):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "roles", frozenset(roles))
        object.__setattr__(self, "staff", staff)
        object.__setattr__(self, "any_signed_in", any_signed_in)


@dataclass(frozen=True)
class Grant:
    role: str
    province_code: str | None
    county_code: str | None
    town_codes: frozenset[str]
    village_code: str | None
    firm_id: int | None = None

    def covers(self, target: Target) -> bool:
        if target.firm_id is not None:
            return self.firm_id == target.firm_id
        if self.province_code is not None:
            return target.province_code == self.province_code
        if self.county_code is not None:
            return target.county_code == self.county_code
        if target.town_code not in self.town_codes:
            return False
        # A coordinator covers the town's shared reads (no village given) and their own village only.
        return self.village_code is None or target.village_code in (None, self.village_code)


def grants(user) -> list[Grant]:
    """The user's role assignments as grants, loaded once per user object (i.e. per request)."""
    cached = getattr(user, "_mutualaid_grants", None)
    if cached is not None:
        return cached
    result: list[Grant] = []
    if user is not None and user.is_authenticated:
        assignments = user.role_assignments.select_related(
            "province", "county", "town", "firm"
        ).prefetch_related("firm__towns")
        today = timezone.localdate()
        for a in assignments:
            if (a.valid_from and a.valid_from > today) or (a.valid_until and a.valid_until < today):
                continue  # a grant outside its period (an auditor's) gives nothing
            if a.firm_id:
                towns = frozenset(t.code for t in a.firm.towns.all())
            else:
                towns = frozenset([a.town.code]) if a.town_id else frozenset()
            result.append(
                Grant(
                    role=a.role,
                    province_code=a.province.code if a.province_id else None,
                    county_code=a.county.code if a.county_id else None,
                    town_codes=towns,
                    village_code=a.village_code or None,
                    firm_id=a.firm_id,
                )
            )
    if user is not None:
        user._mutualaid_grants = result
    return result


def has_permission(user, rule: Rule, target: Target) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if rule.any_signed_in or (rule.staff and user.is_staff):
        return True
    return any(g.role in rule.roles and g.covers(target) for g in grants(user))


def holds_rule(user, rule: Rule) -> bool:
    """Whether the user passes ``rule`` somewhere (lists that are then filtered to the user's scopes)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if rule.any_signed_in or (rule.staff and user.is_staff):
        return True
    return any(g.role in rule.roles for g in grants(user))


def holds_any_role_in_town(user, town_code: str) -> bool:
    """Whether the user may enter a town's API at all."""
    return has_permission(user, Rule("enter_town", *Role.values), Target.town(town_code))


def visible_towns_filter(user, roles: frozenset[str] | None = None) -> Q:
    """A Town filter for the towns whose existence and aggregates the user may see."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    query = Q(pk__in=[])
    for g in grants(user):
        if roles is not None and g.role not in roles:
            continue
        if g.province_code:
            query |= Q(code__startswith=g.province_code)
        elif g.county_code:
            query |= Q(county__code=g.county_code)
        elif g.town_codes:
            query |= Q(code__in=g.town_codes)
    return query


# --- the platform's rules ------------------------------------------------------------------------------------------
ONBOARD_TOWN = Rule("onboard_town", Role.COUNTY_BUREAU)
VIEW_TOWN_PROVISIONING = Rule("view_town_provisioning", Role.COUNTY_BUREAU, Role.PROVINCE_SUPERVISOR)
MANAGE_SERVICE_FIRMS = Rule("manage_service_firms")  # platform staff only
ASSIGN_FIRM_TO_TOWN = Rule("assign_firm_to_town", Role.COUNTY_BUREAU)
READ_REGIONS = Rule("read_regions", any_signed_in=True)

# --- accounts: who may give which role (and so take it away) ---------------------------------------------------
# A role is granted over a scope by a role above it whose own scope covers that scope: a county bureau invites
# county staff and the admins of its towns, a town admin its finance staff and village coordinators, a service
# firm's manager the firm's reviewers; platform staff (``is_staff``) grant any role, and alone grant provincial
# supervisors, firm managers and members.
GRANT_ROLE: dict[str, Rule] = {
    Role.PROVINCE_SUPERVISOR: Rule("grant_province_supervisor"),
    Role.COUNTY_BUREAU: Rule("grant_county_bureau", Role.COUNTY_BUREAU),
    Role.TOWN_ADMIN: Rule("grant_town_admin", Role.COUNTY_BUREAU),
    Role.TOWN_FINANCE: Rule("grant_town_finance", Role.TOWN_ADMIN),
    Role.VILLAGE_COORDINATOR: Rule("grant_village_coordinator", Role.TOWN_ADMIN),
    Role.FIRM_MANAGER: Rule("grant_firm_manager"),
    Role.FIRM_REVIEWER: Rule("grant_firm_reviewer", Role.FIRM_MANAGER),
    Role.MEMBER: Rule("grant_member"),
    Role.AUDITOR: Rule("grant_auditor", Role.COUNTY_BUREAU),  # the county, for one of its towns and a period
}
# The roles that may manage people at all (the coarse rule of the account mutations; GRANT_ROLE decides each).
MANAGE_ACCOUNTS = Rule("manage_accounts", Role.COUNTY_BUREAU, Role.TOWN_ADMIN, Role.FIRM_MANAGER)
LIST_ROLE_ASSIGNMENTS = Rule(
    "list_role_assignments", Role.PROVINCE_SUPERVISOR, Role.COUNTY_BUREAU, Role.TOWN_ADMIN, Role.FIRM_MANAGER
)
CHANGE_OWN_PASSWORD = Rule("change_own_password", any_signed_in=True)


def assignment_target(assignment) -> Target:
    """Where a role assignment applies (its province, county, town or village, or firm)."""
    if assignment.firm_id:
        return Target.firm(assignment.firm_id)
    if assignment.town_id:
        return Target.town(assignment.town.code, assignment.village_code or None)
    if assignment.county_id:
        return Target.county(assignment.county.code)
    if assignment.province_id:
        return Target.province(assignment.province.code)
    return Target.platform()


def can_grant(user, role: str, target: Target) -> bool:
    """Whether ``user`` may give (or take away) ``role`` over ``target``."""
    return has_permission(user, GRANT_ROLE[role], target)


def can_manage_user(user, other, assignments) -> bool:
    """Whether ``user`` may deactivate ``other``: only someone who could grant every role ``other`` holds.

    Platform staff are managed outside the API, nobody deactivates themselves, and a user holding no role is left
    to platform staff.
    """
    if other.is_staff or other.pk == getattr(user, "pk", None):
        return False
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    assignments = list(assignments)
    return bool(assignments) and all(can_grant(user, a.role, assignment_target(a)) for a in assignments)


def visible_assignments_filter(user) -> Q:
    """A RoleAssignment filter for the roles held within the user's scope (who holds what, for LIST_ROLE_ASSIGNMENTS)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    query = Q(pk__in=[])
    for g in grants(user):
        if g.role not in LIST_ROLE_ASSIGNMENTS.roles:
            continue
        if g.province_code:
            query |= (
                Q(province__code=g.province_code)
                | Q(county__code__startswith=g.province_code)
                | Q(town__code__startswith=g.province_code)
            )
        elif g.county_code:
            query |= Q(county__code=g.county_code) | Q(town__county__code=g.county_code)
        elif g.firm_id:
            query |= Q(firm_id=g.firm_id)
        elif g.town_codes:
            query |= Q(town__code__in=g.town_codes)
    return query
