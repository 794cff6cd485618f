"""End to end with a real Celery worker: onboardTown as the county bureau, the worker clones the schema, the town
turns active, and its /t/<code>/graphql/ answers the new admin."""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test import Client

from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.importer import ensure_seed_regions
from mutualaid.platform.regions.models import County
from mutualaid.platform.sms import RecordingSmsBackend
from mutualaid.project.celery import app
from mutualaid.tenants.models import Town
from tests.factories import make_user

ONBOARD = """mutation { onboardTown(code: "320685101", adminPhone: "13800001111") { town { code status } errors { code } } }"""


def _post(client, url, query):
    return client.post(url, json.dumps({"query": query}), content_type="application/json").json()


@pytest.fixture
def worker(transactional_db):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS town_320685101 CASCADE")


@pytest.mark.worker
def test_onboard_town_through_the_api_and_a_real_worker(worker):
    ensure_seed_regions()
    bureau = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685"))
    client = Client()
    client.force_login(bureau)

    result = _post(client, "/graphql/", ONBOARD)["data"]["onboardTown"]
    assert result == {"town": {"code": "320685101", "status": "PROVISIONING"}, "errors": []}

    deadline = time.monotonic() + 60
    while Town.objects.get(code="320685101").status == "provisioning" and time.monotonic() < deadline:
        time.sleep(0.2)
    town = Town.objects.get(code="320685101")
    assert town.status == "active", town.error

    status = _post(client, "/graphql/", '{ town(code: "320685101") { status activatedAt host } }')["data"][
        "town"
    ]
    assert status["status"] == "ACTIVE" and status["host"] == "chengdong.localhost"

    # The outbox lasts the session: other tests may have texted this number before.
    sms = [m for m in RecordingSmsBackend.outbox if m.phone == "13800001111" and "初始密码" in m.text][-1]
    password = sms.text.rsplit("初始密码 ", 1)[1]
    admin = Client()
    assert admin.login(username="admin_320685101", password=password)
    answer = _post(admin, "/t/320685101/graphql/", "{ currentTown { code name } }")
    assert answer["data"]["currentTown"] == {"code": "320685101", "name": "城东镇"}
