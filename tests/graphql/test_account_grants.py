"""The grant table: nobody can give a role above their own or over a scope wider than their own."""

import pytest

from mutualaid.platform.accounts.permissions import GRANT_ROLE, Target, can_grant
from mutualaid.platform.accounts.roles import ROLE_SCOPE, Role, Scope

# How wide each scope is (a firm stands apart: only a firm covers a firm).
WIDTH = {Scope.PROVINCE: 4, Scope.COUNTY: 3, Scope.TOWN: 2, Scope.VILLAGE: 1}
# Rank within each line of authority: government, then service firms.
RANK = {
    Role.PROVINCE_SUPERVISOR: 5,
    Role.COUNTY_BUREAU: 4,
    Role.TOWN_ADMIN: 3,
    Role.TOWN_FINANCE: 2,
    Role.VILLAGE_COORDINATOR: 1,
    Role.MEMBER: 0,
    Role.AUDITOR: 2,  # read-only, granted by the county for one town
    Role.FIRM_MANAGER: 2,
    Role.FIRM_REVIEWER: 1,
}


def test_every_role_has_a_grant_rule():
    assert set(GRANT_ROLE) == set(Role.values)


@pytest.mark.parametrize("granted", list(Role))
def test_no_role_grants_a_role_above_its_own_or_a_wider_scope(granted):
    for granter in GRANT_ROLE[granted].roles:
        firm_line = {ROLE_SCOPE[granter], ROLE_SCOPE[granted]} & {Scope.FIRM}
        if firm_line:
            assert ROLE_SCOPE[granter] == ROLE_SCOPE[granted] == Scope.FIRM, (granter, granted)
        else:
            assert WIDTH[ROLE_SCOPE[granter]] >= WIDTH[ROLE_SCOPE[granted]], (granter, granted)
        assert RANK[granter] >= RANK[granted], (granter, granted)


def test_a_grant_only_reaches_its_own_scope(people, firm):
    admin, bureau = people["town_admin"], people["county_bureau"]
    assert can_grant(admin, Role.TOWN_FINANCE, Target.town("320685107"))
    assert can_grant(admin, Role.VILLAGE_COORDINATOR, Target.town("320685107", "320685107201"))
    assert not can_grant(admin, Role.TOWN_FINANCE, Target.town("320685109"))  # a neighbouring town
    assert not can_grant(admin, Role.TOWN_ADMIN, Target.town("320685107"))  # not above their own
    assert can_grant(bureau, Role.TOWN_ADMIN, Target.town("320685109"))
    assert not can_grant(bureau, Role.TOWN_ADMIN, Target.town("500152116"))  # another county
    assert not can_grant(bureau, Role.PROVINCE_SUPERVISOR, Target.province("32"))
    assert not can_grant(people["firm_reviewer"], Role.FIRM_REVIEWER, Target.firm(firm.pk))
    # a town role over a town the firm serves never covers the firm itself
    assert not can_grant(admin, Role.FIRM_REVIEWER, Target.firm(firm.pk))
    assert can_grant(people["staff"], Role.PROVINCE_SUPERVISOR, Target.province("32"))
    assert not can_grant(None, Role.MEMBER, Target.town("320685107"))
