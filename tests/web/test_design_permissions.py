"""The design pages in the permission matrix (shaped like test_permissions.py): the roles that may read policies
open them; saving a design is the town admin's alone; everyone else gets 404 and nothing changes; anonymous
visitors are sent to the sign-in page."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.web.conftest import ROLES, TOWN
from tests.web.test_design_pages import _state, funded  # noqa: F401 - a fixture

ALL = ROLES
READERS = {"coordinator", "other_coordinator", "town_admin", "town_finance", "reviewer"}  # READ_POLICY

PAGES = {
    "console/design/": READERS,
    "console/policies/{policy}/solvency/": READERS,
}


def _policy(town):
    from mutualaid.policies.models import PolicyVersion

    connection.set_tenant(town)
    return PolicyVersion.objects.get()


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_design_page_opens_only_for_its_roles(page, scheme, users, as_user):
    # given a design page of 新胜镇 and everyone
    url = f"{TOWN}/" + page.format(policy=_policy(scheme.town).pk)
    for name in ALL:
        # when each opens it
        response = as_user(users[name]).get(url)
        # then the roles it is for see it and nobody else learns anything
        expected = 200 if name in PAGES[page] else 404
        assert response.status_code == expected, (name, url, response.status_code)
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def _design(**changes):
    data = {"scheme_year": "2022", "reserve_percent": "10", "weight_source": "current", "runs": "1000"}
    return data | changes


@pytest.mark.parametrize("name", (*ALL, None))
def test_only_the_town_admin_creates_a_draft_from_a_design(funded, users, as_user, name):  # noqa: F811
    before = _state(funded.town)

    response = as_user(users[name] if name else None).post(f"{TOWN}/console/design/", _design(action="save"))

    if name == "town_admin":
        assert response.status_code == 302 and "/console/policies/" in response["Location"]
        assert _state(funded.town) != before
        return
    if name is None:
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 404, (name, response.status_code)
    assert _state(funded.town) == before


@pytest.mark.parametrize("name", (*ALL, None))
def test_designing_and_simulating_without_saving_is_for_the_readers(funded, users, as_user, name):  # noqa: F811
    before = _state(funded.town)

    response = as_user(users[name] if name else None).post(
        f"{TOWN}/console/design/", _design(action="simulate")
    )

    if name in READERS:
        assert response.status_code == 200 and 'id="run-dry-probability"' in response.content.decode()
    elif name is None:
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 404, (name, response.status_code)
    assert _state(funded.town) == before  # a design that is not saved writes nothing


@pytest.mark.parametrize("name", (*ALL, None))
def test_a_policy_is_simulated_by_the_readers_only(funded, users, as_user, name):  # noqa: F811
    url = f"{TOWN}/console/policies/{_policy(funded.town).pk}/solvency/"
    before = _state(funded.town)

    response = as_user(users[name] if name else None).post(url, {"runs": "1000"})

    if name in READERS:
        assert response.status_code == 302 and response["Location"].endswith(url)
        assert _state(funded.town)[2] == before[2] + 1  # the outcome is recorded
        return
    if name is None:
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 404, (name, response.status_code)
    assert _state(funded.town) == before


def test_the_menu_shows_the_design_page_to_its_roles_only(scheme, users, as_user):
    admin = as_user(users["town_admin"]).get(f"{TOWN}/console/").content.decode()
    assert 'data-key="design"' in admin
    member = as_user(users["member"]).get(f"{TOWN}/m/").content.decode()
    assert 'data-key="design"' not in member
