"""CSRF on the GraphQL endpoints (issue 22, item 1).

A browser signed in with a session must not be made to run a mutation from another origin: session-authenticated
requests carry a valid CSRF token; bearer-token clients (which browsers cannot be tricked into sending) and
anonymous requests are unaffected. Both schemas: the platform's ``/graphql/`` and a town's ``/t/<code>/graphql/``.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from mutualaid.enrolment.models import Village
from mutualaid.platform.accounts.actions import obtain_tokens
from mutualaid.platform.accounts.roles import Role
from mutualaid.tenants.models import ServiceFirm
from tests.factories import make_user

CREATE_FIRM = 'mutation { serviceFirmCreate(name: "跨站机构") { firm { name } errors { code } } }'
CREATE_VILLAGE = 'mutation { createVillage(code: "320685107299", name: "跨站村") { errors { code } } }'
TOKEN = "a" * 32  # a well-formed CSRF secret, as the cookie and the header carry it


def _session_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _bearer_headers(user) -> dict:
    user.set_password("a-long-test-password")
    user.save()
    return {
        "HTTP_AUTHORIZATION": f"Bearer {obtain_tokens(user.username, 'a-long-test-password').access_token}"
    }


def _village_exists(town) -> bool:
    connection.set_tenant(town)
    try:
        return Village.objects.filter(code="320685107299").exists()
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def staff(db):
    return make_user(is_staff=True)


@pytest.fixture
def town_admin(dagong):
    return make_user(Role.TOWN_ADMIN, town=dagong)


# --- platform schema -------------------------------------------------------------------------------------------


def test_cross_site_form_post_with_a_session_is_refused_on_the_platform(staff):
    response = _session_client(staff).post(
        "/graphql/", {"query": CREATE_FIRM}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    assert not ServiceFirm.objects.filter(name="跨站机构").exists()


def test_session_json_without_a_token_is_refused_on_the_platform(staff):
    response = _session_client(staff).post(
        "/graphql/", json.dumps({"query": CREATE_FIRM}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not ServiceFirm.objects.filter(name="跨站机构").exists()


def test_session_with_a_valid_token_runs_on_the_platform(staff):
    client = _session_client(staff)
    client.cookies["csrftoken"] = TOKEN
    response = client.post(
        "/graphql/",
        json.dumps({"query": CREATE_FIRM}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=TOKEN,
    )
    assert response.status_code == 200
    assert response.json()["data"]["serviceFirmCreate"]["errors"] == []
    assert ServiceFirm.objects.filter(name="跨站机构").exists()


def test_bearer_token_clients_need_no_csrf_token_on_the_platform(staff):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/graphql/",
        json.dumps({"query": CREATE_FIRM}),
        content_type="application/json",
        **_bearer_headers(staff),
    )
    assert response.status_code == 200
    assert response.json()["data"]["serviceFirmCreate"]["errors"] == []


def test_anonymous_queries_need_no_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/graphql/", json.dumps({"query": "{ __typename }"}), content_type="application/json"
    )
    assert response.status_code == 200


def test_session_reads_by_get_need_no_token(staff):
    response = _session_client(staff).get(
        "/graphql/", {"query": "{ __typename }"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200


# --- town schema ---------------------------------------------------------------------------------------------------


def test_cross_site_form_post_with_a_session_is_refused_on_a_town(dagong, town_admin):
    response = _session_client(town_admin).post(
        f"/t/{dagong.code}/graphql/", {"query": CREATE_VILLAGE}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    assert not _village_exists(dagong)


def test_session_with_a_valid_token_runs_on_a_town(dagong, town_admin):
    client = _session_client(town_admin)
    client.cookies["csrftoken"] = TOKEN
    response = client.post(
        f"/t/{dagong.code}/graphql/",
        json.dumps({"query": CREATE_VILLAGE}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=TOKEN,
    )
    assert response.status_code == 200
    assert response.json()["data"]["createVillage"]["errors"] == []
    assert _village_exists(dagong)


def test_bearer_token_clients_need_no_csrf_token_on_a_town(dagong, town_admin):
    response = Client(enforce_csrf_checks=True).post(
        f"/t/{dagong.code}/graphql/",
        {"query": CREATE_VILLAGE},
        **_bearer_headers(town_admin),
    )
    assert response.status_code == 200
    assert response.json()["data"]["createVillage"]["errors"] == []
    assert _village_exists(dagong)
