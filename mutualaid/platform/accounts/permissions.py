"""Role × scope permissions, checked in one place.

Every operation declares a ``Rule``: which roles may call it. ``has_permission(user, rule, target)`` asks whether
the user holds one of those roles over a scope that covers the target (a county, a town, or a village of a town).
Platform staff (``is_staff``) pass every rule that allows staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from mutualaid.platform.accounts.roles import Role


@dataclass(frozen=True)
class Target:
    """Where an operation acts: codes from the national division hierarchy."""

    province_code: str | None = None
    county_code: str | None = None
    town_code: str | None = None
    village_code: str | None = None

    @classmethod
    def platform(cls) -> Target:
        return cls()

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

    def covers(self, target: Target) -> bool:
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
        for a in assignments:
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
