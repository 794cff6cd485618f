"""Disclosure, objections and the audit log in the console, through the Django test client: the town admin drafts,
publishes and corrects a month's disclosure; the service firm's reviewer answers an objection the admin held out of
the payout batch; the auditor searches the audit log page by page; the domain's typed errors are shown in Chinese
next to their fields."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection

from mutualaid.disclosure import actions
from mutualaid.disclosure.models import Disclosure, DisclosureState, ObjectionState
from mutualaid.payouts import actions as payouts
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.models import AuditEvent
from tests.disclosure.conftest import MARCH, march, published  # noqa: F401 - fixtures
from tests.factories import make_user
from tests.web.conftest import TOWN

MONTH = f"{TOWN}/console/disclosure/"


def error_of(html: str, field: str) -> str:
    return " ".join(re.findall(rf'<p class="error" data-field="{field}">([^<]*)</p>', html))


class InTown:
    """A test client that puts the connection back in the town's schema after each request (a request ends in
    the public schema), so the test can look at the town's rows between requests."""

    def __init__(self, client, town):
        self.client, self.town = client, town

    def get(self, *args, **kwargs):
        return self._back(self.client.get(*args, **kwargs))

    def post(self, *args, **kwargs):
        return self._back(self.client.post(*args, **kwargs))

    def _back(self, response):
        connection.set_tenant(self.town)
        return response


@pytest.fixture
def as_user(as_user, scheme):
    return lambda user: InTown(as_user(user), scheme.town)


@pytest.fixture
def auditor(scheme):
    return make_user(Role.AUDITOR, town=scheme.town)


@pytest.fixture
def objection(published, users):  # noqa: F811
    line = published.content["subsidies"][0]
    return actions.submit_objection(published, line["no"], "该户住院情况可能不实", user=users["member"])


def test_admin_drafts_publishes_and_corrects_a_month(march, users, as_user):  # noqa: F811
    admin = as_user(users["town_admin"])
    # the admin drafts March from the ledger on the months page
    response = admin.post(MONTH, {"month": "2023-03"})
    draft = Disclosure.objects.get(month=MARCH)
    assert response.status_code == 302 and response["Location"].endswith(f"/console/disclosure/{draft.pk}/")
    html = admin.get(MONTH).content.decode()
    assert 'data-month="2023-03"' in html and "草稿（待发布）" in html
    # the draft's page shows the public page's body, masked names and all, and no public links yet
    html = admin.get(f"{MONTH}{draft.pk}/").content.decode()
    assert "资金总表" in html and "王*山" in html and "王大山" not in html
    assert 'id="publish"' in html and 'id="public-page"' not in html
    # publishing it opens the objection period and gives the public links
    response = admin.post(f"{MONTH}{draft.pk}/", {"action": "publish"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == DisclosureState.PUBLISHED and draft.objection_until is not None
    html = admin.get(f"{MONTH}{draft.pk}/").content.decode()
    assert "/t/500152116/disclosure/2023-03/?rev=1" in html and "2023-03.csv?rev=1" in html
    assert "/village/500152116201.pdf?rev=1" in html and 'id="revise"' in html and 'id="publish"' not in html
    # the public page it links to answers without signing in
    assert as_user(None).get(f"{TOWN}/disclosure/2023-03/?rev=1").status_code == 200
    # a correction: the next revision, with what changed, published in turn
    response = admin.post(f"{MONTH}{draft.pk}/", {"action": "revise", "changes": "更正龙滩村补助人员年龄段"})
    revision = Disclosure.objects.get(month=MARCH, revision=2)
    assert response["Location"].endswith(f"/console/disclosure/{revision.pk}/")
    assert revision.state == DisclosureState.DRAFT and revision.changes.startswith("更正龙滩村补助人员年龄段")
    assert "更正版草稿（待发布）" in admin.get(MONTH).content.decode()
    admin.post(f"{MONTH}{revision.pk}/", {"action": "publish"})
    revision.refresh_from_db()
    assert revision.is_published
    html = admin.get(f"{MONTH}{revision.pk}/").content.decode()
    assert "本版修订说明" in html and "第1版" in html
    assert (
        AuditEvent.objects.filter(action="disclosure.published", actor_id=users["town_admin"].pk).count() == 2
    )


def test_typed_errors_are_shown_in_chinese_next_to_their_fields(march, published, users, as_user):  # noqa: F811
    admin = as_user(users["town_admin"])
    # a correction without saying what changed: refused, nothing written
    html = admin.post(f"{MONTH}{published.pk}/", {"action": "revise", "changes": "  "}).content.decode()
    assert error_of(html, "changes") == "请填写修改说明"
    assert Disclosure.objects.filter(month=MARCH).count() == 1
    # a month that is not over yet cannot be drafted; a malformed month is named as such
    html = admin.post(MONTH, {"month": "2023-04"}).content.decode()
    assert error_of(html, "month") == "月份尚未结束，不能生成公示"
    html = admin.post(MONTH, {"month": "三月"}).content.decode()
    assert error_of(html, "month") == "月份格式应为 YYYY-MM"
    assert Disclosure.objects.count() == 1
    # publishing what is already published: the refusal above the page
    html = admin.post(f"{MONTH}{published.pk}/", {"action": "publish"}).content.decode()
    assert "该公示已发布" in html


def test_admin_holds_and_reviewer_answers_an_objection(objection, users, as_user):
    admin, reviewer = as_user(users["town_admin"]), as_user(users["reviewer"])
    page = f"{TOWN}/console/objections/{objection.pk}/"
    # the admin sees it among the open ones and holds the subsidy out of the payout batch
    html = admin.get(f"{TOWN}/console/objections/").content.decode()
    assert f'data-objection="{objection.pk}"' in html and "该户住院情况可能不实" in html
    assert admin.post(page, {"action": "hold"}).status_code == 302
    objection.refresh_from_db()
    assert objection.held and actions.held_claim_ids() == {objection.claim_id}
    # the reviewer finds it in the cross-town queue and on its page
    queue = reviewer.get("/console/review/").content.decode()
    assert f"/t/500152116/console/objections/?claim={objection.claim_id}" in queue and "异议待核查" in queue
    html = reviewer.get(f"{TOWN}/console/objections/?claim={objection.claim_id}").content.decode()
    assert f'data-objection="{objection.pk}"' in html
    html = reviewer.get(page).content.decode()
    assert 'id="confirm"' in html and 'id="hold"' not in html and 'id="release"' not in html
    # an answer is needed, in Chinese, next to its field
    html = reviewer.post(page, {"action": "confirm", "answer": ""}).content.decode()
    assert error_of(html, "answer") == "请填写核查答复"
    objection.refresh_from_db()
    assert objection.state == ObjectionState.OPEN
    # the firm confirms the decision with its answer: the hold ends with the objection
    response = reviewer.post(page, {"action": "confirm", "answer": "经核查住院病历属实，维持原审核结论"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.state == ObjectionState.CONFIRMED and not objection.held
    assert objection.answered_by_username == users["reviewer"].username
    html = admin.get(f"{TOWN}/console/objections/?state=answered").content.decode()
    assert f'data-objection="{objection.pk}"' in html
    assert f'data-objection="{objection.pk}"' not in admin.get(f"{TOWN}/console/objections/").content.decode()
    # answering twice is refused above the form
    html = reviewer.post(page, {"action": "reopen", "answer": "再看"}).content.decode()
    assert "该异议已答复" in html or 'id="confirm"' not in html


def test_reviewer_reopens_the_claim(objection, users, as_user):
    reviewer = as_user(users["reviewer"])
    page = f"{TOWN}/console/objections/{objection.pk}/"
    response = reviewer.post(page, {"action": "reopen", "answer": "病历与费用清单不符，重新审核"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.state == ObjectionState.REOPENED and objection.answer.startswith("病历与费用清单不符")
    html = reviewer.get(page).content.decode()
    assert f"/claims/{objection.claim_id}/" in html and 'id="confirm"' not in html
    # the re-review's outcome is recorded on the same page; it must say something
    assert 'id="resolve"' in html
    html = reviewer.post(page, {"action": "resolve", "outcome": ""}).content.decode()
    assert error_of(html, "outcome") == "请填写处理结果"
    objection.refresh_from_db()
    assert objection.state == ObjectionState.REOPENED


def test_auditor_searches_the_log_page_by_page(march, published, users, auditor, as_user):  # noqa: F811
    for n in range(60):
        record_event(users["town_admin"], "claims.test_event", None, {"n": n})
    client = as_user(auditor)
    page = f"{TOWN}/console/audit/"
    html = client.get(page).content.decode()
    assert 'id="audit-events"' in html and 'data-key="audit-log"' in html
    assert 'id="next"' in html and "第 1 / " in html
    # by action prefix and user: only the disclosure's events of the admin
    html = client.get(page, {"action": "disclosure.", "actor": users["town_admin"].username}).content.decode()
    assert "disclosure.published" in html and "claims.test_event" not in html
    assert 'id="next"' not in html
    # by object type and date range
    html = client.get(page, {"object_type": "Disclosure", "since": "2000-01-01", "until": "2999-12-31"})
    assert "disclosure.drafted" in html.content.decode()
    # a range the wrong way round is named, in Chinese, next to its field
    html = client.get(page, {"since": "2023-05-01", "until": "2023-04-01"}).content.decode()
    assert error_of(html, "until") == "截止日期不能早于起始日期"
    # page two keeps the filters
    html = client.get(page, {"action": "claims.", "page": "2"}).content.decode()
    assert "claims.test_event" in html and 'id="previous"' in html and "action=claims." in html
    # every search is audited, with its filters
    searches = AuditEvent.objects.filter(action="audit.log_searched", actor_id=auditor.pk)
    assert searches.count() == 4
    assert searches.filter(data__action="disclosure.", data__actor=users["town_admin"].username).exists()
    # the auditor's read-only pages are offered where the domains let auditors read
    assert "/console/ledger/" in client.get(page).content.decode()


def test_an_auditors_reads_of_a_claim_are_audited(march, users, auditor, as_user):  # noqa: F811
    claim = march["head"]
    # the auditor reads the claim (masked name, the stay and its documents): the read is in the log
    html = as_user(auditor).get(f"{TOWN}/claims/{claim.pk}/").content.decode()
    assert "王*山" in html and "王大山" not in html and 'id="approve-form"' not in html
    reads = AuditEvent.objects.filter(action="claims.auditor_read", actor_id=auditor.pk)
    assert list(reads.values_list("object_type", "object_id")) == [("Claim", str(claim.pk))]
    # the list too, with the claims it showed; other roles' page reads are not logged this way
    as_user(auditor).get(f"{TOWN}/console/claims/")
    listed = reads.get(data__page="claims")
    assert claim.pk in listed.data["claims"]
    as_user(users["town_admin"]).get(f"{TOWN}/claims/{claim.pk}/")
    assert not AuditEvent.objects.filter(
        action="claims.auditor_read", actor_id=users["town_admin"].pk
    ).exists()
    # and shows in the log the admin searches
    html = (
        as_user(users["town_admin"])
        .get(f"{TOWN}/console/audit/", {"actor": auditor.username})
        .content.decode()
    )
    assert "claims.auditor_read" in html and f"Claim #{claim.pk}" in html


def test_an_auditor_signs_in_to_the_audit_log(scheme, auditor):
    from django.test import Client

    auditor.set_password("right-password-1")
    auditor.save()
    for login in ("/login/", f"{TOWN}/login/"):
        response = Client().post(login, {"username": auditor.username, "password": "right-password-1"})
        assert response.status_code == 302 and response["Location"] == f"{TOWN}/console/audit/", login


def test_the_pages_are_chinese_and_english_on_request(published, users, as_user):  # noqa: F811
    admin = as_user(users["town_admin"])
    html = admin.get(MONTH, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert ">月度公示<" in html and "已公示" in html
    admin.post(f"{TOWN}/language/", {"language": "en", "next": MONTH})
    html = admin.get(MONTH).content.decode()
    assert (
        ">Monthly disclosures<" in html
        and ">Published<" in html
        and 'data-key="audit-log">Audit log<' in html
    )


def test_an_auditors_read_of_a_payout_batch_is_audited(march, users, auditor, as_user):  # noqa: F811
    batch, _ = payouts.gather_batch(date(2023, 4, 1), actor=users["town_admin"])
    assert as_user(auditor).get(f"{TOWN}/console/payouts/{batch.pk}/").status_code == 200
    read = AuditEvent.objects.get(action="payouts.auditor_read", actor_id=auditor.pk)
    assert (read.object_type, read.object_id) == ("PayoutBatch", str(batch.pk))
    as_user(users["town_finance"]).get(f"{TOWN}/console/payouts/{batch.pk}/")
    assert AuditEvent.objects.filter(action="payouts.auditor_read").count() == 1
