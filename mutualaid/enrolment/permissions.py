"""Who may do what with villages, households, members, enrolments, contributions and roster imports.

Targets: ``Target.town(code, village_code)`` for anything that belongs to one village, ``whole_town(code)`` for
operations over every village of the town. A village coordinator's grant covers their own village only (and, by
the platform's rule, town reads with no village given — used here only for aggregates); ``whole_town`` is a
target no coordinator covers.
"""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule, Target, grants, has_permission
from mutualaid.platform.accounts.roles import Role

ALL_VILLAGES = "*"  # a village code no coordinator holds: the target of town-wide operations


def whole_town(town_code: str) -> Target:
    return Target.town(town_code, ALL_VILLAGES)


def village(town_code: str, village_code: str) -> Target:
    return Target.town(town_code, village_code)


# Villages: every town role reads them; the town admin creates them; the decision to join is recorded by the
# town admin or the village's coordinator.
READ_VILLAGES = Rule(
    "read_villages", Role.TOWN_ADMIN, Role.TOWN_FINANCE, Role.VILLAGE_COORDINATOR, Role.FIRM_REVIEWER
)
MANAGE_VILLAGES = Rule("manage_villages", Role.TOWN_ADMIN)
RECORD_VILLAGE_DECISION = Rule("record_village_decision", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)

# Households and members (the roster).
# Members: service-firm reviewers see what claims need (name masked, insurance type, register and enrolment
# status); households, enrolments and money are for the town and the village only.
READ_ROSTER = Rule("read_roster", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR, Role.FIRM_REVIEWER)
READ_HOUSEHOLDS = Rule("read_households", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)
MANAGE_ROSTER = Rule("manage_roster", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)
# Unmasked ID and phone numbers: the town admin, the coordinator of the member's village.
READ_PERSONAL_DATA = Rule("read_personal_data", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)
IMPORT_ROSTER = Rule("import_roster", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)

# Enrolment and money.
ENROL_HOUSEHOLDS = Rule("enrol_households", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)
READ_ENROLMENT = Rule("read_enrolment", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR, Role.TOWN_FINANCE)
RECORD_CONTRIBUTION = Rule("record_contribution", Role.TOWN_ADMIN, Role.VILLAGE_COORDINATOR)
READ_CONTRIBUTIONS = Rule("read_contributions", Role.TOWN_ADMIN, Role.TOWN_FINANCE, Role.VILLAGE_COORDINATOR)
REVERSE_CONTRIBUTION = Rule("reverse_contribution", Role.TOWN_ADMIN, Role.TOWN_FINANCE)

# Aggregates (no personal data).
READ_PARTICIPATION = Rule(
    "read_participation",
    Role.TOWN_ADMIN,
    Role.TOWN_FINANCE,
    Role.VILLAGE_COORDINATOR,
    Role.COUNTY_BUREAU,
    Role.PROVINCE_SUPERVISOR,
)


def visible_villages(user, rule: Rule, town_code: str) -> set[str] | None:
    """The village codes whose rows ``user`` may see under ``rule``: None for every village, else a set
    (empty: none)."""
    if has_permission(user, rule, whole_town(town_code)):
        return None
    if user is None or not user.is_authenticated:
        return set()
    return {
        g.village_code
        for g in grants(user)
        if g.role in rule.roles and g.village_code and town_code in g.town_codes
    }


def sees_full_names(user, town_code: str, village_code: str) -> bool:
    """Service-firm reviewers see members' names masked; roster roles see them in full."""
    return has_permission(user, MANAGE_ROSTER, village(town_code, village_code))
