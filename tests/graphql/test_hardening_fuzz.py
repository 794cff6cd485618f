"""A bounded fuzz run of both GraphQL schemas (issue 22, item 13).

hypothesis-graphql generates valid queries and mutations from each schema (fixed seed, 200 per schema (MUTUALAID_FUZZ_EXAMPLES)),
sent over HTTP as platform staff to ``/graphql/`` and as 大公镇's town admin to ``/t/<code>/graphql/``. The run
fails on any server error (5xx) and on any error without a ``code`` in its extensions, GraphQL's own validation
errors aside, and on ``INTERNAL_ERROR``: every answer to bad input is a typed error, never a raw Python message.
"""

from __future__ import annotations

import json
import os

import pytest
from django.db import transaction
from django.test import Client
from graphql import GraphQLSchema, NullValueNode, StringValueNode
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from mutualaid.graphql.api import platform_schema, town_schema
from mutualaid.platform.accounts.roles import Role
from tests.factories import make_user

EXAMPLES = int(os.environ.get("MUTUALAID_FUZZ_EXAMPLES", "200"))

CUSTOM_SCALARS = {
    "Date": st.dates().map(lambda d: StringValueNode(value=d.isoformat())),
    "DateTime": st.datetimes().map(lambda d: StringValueNode(value=d.isoformat())),
    "JSONString": st.just(StringValueNode(value="{}")),
    "Upload": st.just(NullValueNode()),
}


def _problems(response) -> list[str]:
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    try:
        body = response.json()
    except ValueError:
        return [f"not JSON: HTTP {response.status_code}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None and "path" not in error and "locations" in error:
            continue  # GraphQL's own validation error of the document
        if code is None or code == "INTERNAL_ERROR":
            found.append(f"{code} at {error.get('path')}: {error.get('message')}")
    return found


def _logged(caplog) -> list[str]:
    """The exceptions the API logged for the last request (what an INTERNAL_ERROR hid)."""
    found = []
    for record in caplog.records:
        if record.exc_info and record.exc_info[1] is not None:
            exc, tb = record.exc_info[1], record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f" ({tb.tb_frame.f_code.co_filename.split('/')[-1]}:{tb.tb_lineno})" if tb else ""
            found.append(f"  logged {type(exc).__name__}: {str(exc)[:160]}{where}")
    caplog.clear()
    return found


def _fuzz(schema: GraphQLSchema, client: Client, url: str, caplog) -> list[tuple[str, list[str]]]:
    failures: list[tuple[str, list[str]]] = []

    @seed(20221)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(from_schema(schema, custom_scalars=CUSTOM_SCALARS))
    def run(query: str) -> None:
        savepoint = transaction.savepoint()
        try:
            response = client.post(url, json.dumps({"query": query}), content_type="application/json")
        finally:
            transaction.savepoint_rollback(savepoint)
        problems = _problems(response)
        logged = _logged(caplog)
        if problems:
            problems += logged
            failures.append((query, problems))

    run()
    return failures


def _report(failures) -> str:
    if os.environ.get("MUTUALAID_FUZZ_DUMP"):  # every failing request in full, for a closer look
        with open(os.environ["MUTUALAID_FUZZ_DUMP"], "a") as dump:
            for query, problems in failures:
                dump.write(json.dumps({"query": query, "problems": problems}, ensure_ascii=False) + "\n")
    seen: dict[str, str] = {}
    for query, problems in failures:
        seen.setdefault(" | ".join(problems)[:300], query[:600])
    return "\n".join(f"{problem}\n    {query}" for problem, query in list(seen.items())[:15])


@pytest.mark.django_db
def test_platform_schema_as_staff(towns, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(make_user(is_staff=True))
    failures = _fuzz(platform_schema.graphql_schema, client, "/graphql/", caplog)
    assert not failures, _report(failures)


@pytest.mark.django_db
def test_town_schema_as_town_admin(dagong, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.TOWN_ADMIN, town=dagong))
    failures = _fuzz(town_schema.graphql_schema, client, f"/t/{dagong.code}/graphql/", caplog)
    assert not failures, _report(failures)
