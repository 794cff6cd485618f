"""Every console page in the permission matrix: the roles that may open it get 200; every other role, another
town's or firm's people, get 404 (never another town's data); anonymous visitors are sent to the sign-in page."""

from __future__ import annotations

import pytest

from tests.web.conftest import ROLES, TOWN

ALL = ROLES

PAGES = {
    "console/": {"coordinator", "other_coordinator", "town_admin", "town_finance"},
    "console/policies/": {"coordinator", "other_coordinator", "town_admin", "town_finance", "reviewer"},
    "console/villages/": {"coordinator", "other_coordinator", "town_admin"},
    "console/households/{household}/": {"coordinator", "town_admin"},
    "console/enrolment/": {"coordinator", "other_coordinator", "town_admin", "town_finance"},
    "console/roster/": {"coordinator", "other_coordinator", "town_admin"},
    "console/ledger/": {"town_admin", "town_finance"},
    "console/ledger/bank/": {"town_admin", "town_finance"},
    "console/claims/": {"coordinator", "other_coordinator", "town_admin", "town_finance", "reviewer"},
    "console/users/": {"town_admin"},
    "claims/{claim}/": {"member", "coordinator", "town_admin", "town_finance", "reviewer"},
    "claims/new/{head}/": {"member", "coordinator", "town_admin"},
    "m/": {"member", "other_member"},
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_town_page_opens_only_for_its_roles(page, scheme, users, claim, as_user):
    # given a page of 新胜镇 and everyone
    url = f"{TOWN}/" + page.format(household=scheme.household.pk, claim=claim.pk, head=scheme.head.pk)
    for name in ALL:
        # when each opens it
        response = as_user(users[name]).get(url)
        # then the roles it is for see it and nobody else learns anything
        expected = 200 if name in PAGES[page] else 404
        assert response.status_code == expected, (name, url, response.status_code)
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


PLATFORM_PAGES = {
    # town staff see their own town's row here (the next test: never another town's)
    "/console/": {
        "county",
        "coordinator",
        "other_coordinator",
        "town_admin",
        "town_finance",
        "other_town_admin",
    },
    "/console/onboarding/": {"county"},
    "/console/review/": {"reviewer", "other_firm_reviewer"},
}


@pytest.mark.parametrize("page", sorted(PLATFORM_PAGES))
def test_platform_pages_open_only_for_their_roles(page, scheme, users, claim, as_user):
    from mutualaid.platform.accounts.roles import Role
    from tests.factories import make_user

    people = dict(users)
    people["county"] = make_user(Role.COUNTY_BUREAU, county=scheme.town.county)
    for name, user in people.items():
        if user is None:
            continue
        response = as_user(user).get(page)
        expected = 200 if name in PLATFORM_PAGES[page] else 404
        if page == "/console/" and name in ("reviewer", "other_firm_reviewer"):
            expected = 302  # reviewers' console is their queue
        assert response.status_code == expected, (name, page, response.status_code)
    assert as_user(None).get(page).status_code == 302


def test_the_towns_page_lists_only_the_users_towns(scheme, users, as_user):
    html = as_user(users["other_town_admin"]).get("/console/").content.decode()
    assert "/t/320685107/console/" in html and "/t/500152116/" not in html


def test_the_review_queue_lists_only_the_firms_towns(scheme, users, claim, as_user):
    mine = as_user(users["reviewer"]).get("/console/review/").content.decode()
    theirs = as_user(users["other_firm_reviewer"]).get("/console/review/").content.decode()
    assert f"/t/500152116/claims/{claim.pk}/" in mine
    assert f"/t/500152116/claims/{claim.pk}/" not in theirs


def test_a_coordinator_searches_only_their_village(scheme, users, as_user):
    found = as_user(users["coordinator"]).get(f"{TOWN}/console/villages/", {"q": "王大山"}).content.decode()
    assert f"/console/households/{scheme.household.pk}/" in found
    hidden = as_user(users["other_coordinator"]).get(f"{TOWN}/console/villages/", {"q": "王大山"})
    assert f"/console/households/{scheme.household.pk}/" not in hidden.content.decode()


def test_another_towns_admin_cannot_reach_the_town_by_its_host(scheme, users, as_user):
    response = as_user(users["other_town_admin"]).get("/console/", HTTP_HOST=f"{scheme.town.slug}.localhost")
    assert response.status_code == 404


def test_menus_show_only_pages_the_user_may_open(scheme, users, as_user):
    html = as_user(users["town_finance"]).get(f"{TOWN}/console/").content.decode()
    assert 'data-key="ledger"' in html and 'data-key="villages"' not in html
    assert 'data-key="users"' not in html
