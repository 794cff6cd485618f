"""The disclosure, objection and audit-log pages in the permission matrix (the shape of test_permissions.py): the
roles a page is for get 200; every other role, another town's or firm's people and an auditor out of their period
get 404 (never another town's data); anonymous visitors are sent to the sign-in page; a refused POST changes
nothing. The auditor's read-only pages are the ledger's, the claims' and the payout batches' own, under the
domains' Rules (which grant auditors read)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from mutualaid.disclosure import actions
from mutualaid.disclosure.models import Disclosure, Objection
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.models import AuditEvent
from tests.disclosure.conftest import MARCH, march, published  # noqa: F401 - fixtures
from tests.factories import make_user
from tests.web.conftest import ROLES, TOWN

ALL = (*ROLES, "auditor", "other_town_auditor", "expired_auditor")

PAGES = {
    "console/disclosure/": {"town_admin", "town_finance"},
    "console/disclosure/{draft}/": {"town_admin", "town_finance"},
    "console/disclosure/{published}/": {"town_admin", "town_finance"},
    "console/objections/": {"town_admin", "reviewer"},
    "console/objections/{objection}/": {"town_admin", "reviewer"},
    "console/audit/": {"town_admin", "auditor"},
    # the auditor's read-only pages: the domains' own Rules already grant auditors read
    "console/ledger/": {"town_admin", "town_finance", "auditor"},
    "console/claims/": {
        "coordinator",
        "other_coordinator",
        "town_admin",
        "town_finance",
        "reviewer",
        "auditor",
    },
    "claims/{claim}/": {"member", "coordinator", "town_admin", "town_finance", "reviewer", "auditor"},
    "console/payouts/": {"town_admin", "town_finance", "auditor"},
}


@pytest.fixture
def people(scheme, users, towns):
    found = dict(users)
    found.pop("anonymous", None)
    found["auditor"] = make_user(Role.AUDITOR, town=scheme.town)
    found["other_town_auditor"] = make_user(Role.AUDITOR, town=towns["320685107"])
    found["expired_auditor"] = make_user(
        Role.AUDITOR, town=scheme.town, valid_until=date.today() - timedelta(days=1)
    )
    return found


@pytest.fixture
def world(march, published, people, scheme):  # noqa: F811
    """March published (revision 1) with an objection to its first subsidy, and its correction drafted."""
    line = published.content["subsidies"][0]
    objection = actions.submit_objection(published, line["no"], "住院情况可能不实", user=people["member"])
    draft = actions.revise(MARCH, changes="更正年龄段", actor=people["town_admin"])

    class World:
        pass

    w = World()
    w.published, w.draft, w.objection, w.claim = published, draft, objection, march["head"]
    w.town = scheme.town
    return w


def snapshot() -> tuple:
    return (
        list(Disclosure.objects.order_by("pk").values_list("pk", "state", "revision", "changes")),
        list(Objection.objects.order_by("pk").values_list("pk", "state", "held", "answer")),
        AuditEvent.objects.count(),
    )


def url_of(page: str, w) -> str:
    return f"{TOWN}/" + page.format(
        draft=w.draft.pk, published=w.published.pk, objection=w.objection.pk, claim=w.claim.pk
    )


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_opens_only_for_its_roles(page, world, people, as_user):
    url = url_of(page, world)
    for name in ALL:
        response = as_user(people[name]).get(url)
        expected = 200 if name in PAGES[page] else 404
        assert response.status_code == expected, (name, url, response.status_code)
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


# (page, POST data, the roles allowed to make it)
WRITES = [
    ("console/disclosure/", {"month": "2023-02"}, {"town_admin"}),
    ("console/disclosure/{draft}/", {"action": "publish"}, {"town_admin"}),
    ("console/disclosure/{draft}/", {"action": "refresh"}, {"town_admin"}),
    ("console/disclosure/{published}/", {"action": "revise", "changes": "再次更正"}, {"town_admin"}),
    ("console/objections/{objection}/", {"action": "hold"}, {"town_admin"}),
    ("console/objections/{objection}/", {"action": "confirm", "answer": "维持"}, {"reviewer"}),
    ("console/objections/{objection}/", {"action": "reopen", "answer": "重审"}, {"reviewer"}),
]


@pytest.mark.parametrize("index", range(len(WRITES)))
def test_refused_posts_change_nothing(index, world, people, as_user):
    page, data, allowed = WRITES[index]
    url = url_of(page, world)
    before = snapshot()
    for name in ALL:
        if name in allowed:
            continue
        response = as_user(people[name]).post(url, data)
        connection.set_tenant(world.town)
        assert response.status_code == 404, (name, url, response.status_code)
        assert snapshot() == before, (name, url)
    response = as_user(None).post(url, data)
    connection.set_tenant(world.town)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert snapshot() == before


def test_allowed_posts_do_their_one_thing(world, people, as_user):
    admin, reviewer = as_user(people["town_admin"]), as_user(people["reviewer"])
    objection_page = url_of("console/objections/{objection}/", world)
    assert admin.post(objection_page, {"action": "hold"}).status_code == 302
    connection.set_tenant(world.town)
    world.objection.refresh_from_db()
    assert world.objection.held
    assert reviewer.post(objection_page, {"action": "confirm", "answer": "维持"}).status_code == 302
    connection.set_tenant(world.town)
    world.objection.refresh_from_db()
    assert world.objection.state == "confirmed" and not world.objection.held
    assert admin.post(url_of("console/disclosure/{draft}/", world), {"action": "publish"}).status_code == 302
    connection.set_tenant(world.town)
    world.draft.refresh_from_db()
    assert world.draft.is_published


def test_menus_show_the_pages_to_their_roles_only(world, people, as_user):
    def keys(name: str) -> set[str]:
        html = as_user(people[name]).get(f"{TOWN}/console/claims/").content.decode()
        return {k for k in ("disclosure", "objections", "audit-log") if f'data-key="{k}"' in html}

    assert keys("town_admin") == {"disclosure", "objections", "audit-log"}
    assert keys("town_finance") == {"disclosure"}
    assert keys("reviewer") == {"objections"}
    assert keys("auditor") == {"audit-log"}
    assert keys("coordinator") == set()


def test_the_review_queue_shows_objections_to_the_firms_reviewers_only(world, people, as_user):
    link = f"/t/500152116/console/objections/?claim={world.objection.claim_id}"
    assert link in as_user(people["reviewer"]).get("/console/review/").content.decode()
    assert link not in as_user(people["other_firm_reviewer"]).get("/console/review/").content.decode()
    assert as_user(people["auditor"]).get("/console/review/").status_code == 404
