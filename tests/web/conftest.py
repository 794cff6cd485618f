"""Fixtures for the console's pages: 新胜镇 with its published 2022 policy, two villages, enrolled households, one
user per role (the claims fixtures), one claim of 王大山 submitted, and a Django test client signed in as anyone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from tests.claims.conftest import (  # noqa: F401 - fixtures
    _media_in_tmp,
    clock,
    complete,
    icd_catalogue,
    scheme,
    stay_data,
    users,
)
from tests.enrolment.conftest import build, in_town  # noqa: F401 - fixtures
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture

TOWN = "/t/500152116"

# Everyone of the permission matrices: the town's roles, and the same roles of another town or firm.
ROLES = (
    "member",
    "other_member",
    "coordinator",
    "other_coordinator",
    "town_admin",
    "town_finance",
    "reviewer",
    "other_firm_reviewer",
    "other_town_admin",
)


@pytest.fixture
def claim(scheme, users):  # noqa: F811
    from mutualaid.claims import application

    connection.set_tenant(scheme.town)
    made = application.create_claim(scheme.head, stay_data(), actor=users["coordinator"])
    complete(made)
    application.submit(made, actor=users["coordinator"])
    return made


@pytest.fixture
def as_user():
    def client_for(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return client_for
