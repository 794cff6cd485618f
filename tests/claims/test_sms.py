"""The applicant's SMS on a decision: enqueued after commit, sent by a Celery task in the town's schema, exactly once
even when the task runs again (the notice records what was sent)."""

from datetime import date, datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction
from django.utils import timezone

from mutualaid.claims import actions, application, selectors
from mutualaid.claims.models import Claim, ClaimState, SmsNotice
from mutualaid.claims.tasks import send_decision_sms
from mutualaid.platform.sms import RecordingSmsBackend
from mutualaid.project.celery import app
from tests.claims.conftest import SHANGHAI, complete, stay_data
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture


def _outbox(phone: str) -> list:
    return [m for m in RecordingSmsBackend.outbox if m.phone == phone]


def test_a_decision_enqueues_one_sms_after_commit_and_a_rerun_sends_nothing(
    scheme, users, django_capture_on_commit_callbacks
):
    claim = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    application.submit(claim, actor=users["member"])
    actions.start_review(claim, actor=users["reviewer"])
    with django_capture_on_commit_callbacks() as callbacks:
        actions.approve(claim, actor=users["reviewer"], drg_code="EB19")
    assert len(callbacks) == 1  # nothing is sent before the decision is committed
    notice = SmsNotice.objects.get(claim=claim)
    assert notice.sent_at is None
    before = len(_outbox("13900001111"))

    assert send_decision_sms.apply(args=[notice.pk]).get() == "sent"
    assert send_decision_sms.apply(args=[notice.pk]).get() == "already_sent"
    sent = _outbox("13900001111")[before:]
    assert len(sent) == 1 and "审核通过" in sent[0].text and "12000.00 元" in sent[0].text
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.attempts == 1


SCHEMA = "claims_sms_test"
TOWN_CODE = "500152198"


@pytest.fixture
def sms_town(transactional_db, django_db_blocker):
    """A town of its own (a schema cloned from the template), since committed ledger and published-policy rows
    cannot be deleted from the session's towns; dropped afterwards."""
    from django_tenants.clone import CloneSchema

    from mutualaid.tenants.migration import template_schema
    from mutualaid.tenants.models import Town, TownStatus
    from tests.conftest import ensure_towns

    county = ensure_towns()["500152116"].county
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    CloneSchema().clone_schema(template_schema(), SCHEMA, "DATA")
    town = Town.objects.create(
        code=TOWN_CODE,
        name="短信测试镇",
        slug="smstest",
        schema_name=SCHEMA,
        county=county,
        status=TownStatus.ACTIVE,
    )
    connection.set_tenant(town)
    yield town
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


@pytest.mark.worker
def test_a_real_worker_sends_the_decision_sms_in_the_towns_schema(sms_town, drg_catalogue):  # noqa: F811
    import time

    from mutualaid.drg.models import IcdCode
    from mutualaid.enrolment.actions import seal_id_number, seal_phone
    from mutualaid.enrolment.models import EnrolledMember, Enrolment, Household, Member, Village
    from mutualaid.platform import idnumbers
    from mutualaid.policies.actions import apply_preset

    IcdCode.objects.get_or_create(
        edition="医保版2.0", kind="diagnosis", code="C34.900", defaults={"name": "肺癌"}
    )
    IcdCode.objects.get_or_create(
        edition="医保版2.0", kind="procedure", code="32.4100", defaults={"name": "肺叶切除"}
    )
    apply_preset("xinsheng-2022", None, publish=True)
    village = Village.objects.create(code=f"{TOWN_CODE}201", name="短信村", joined=True)
    household = Household.objects.create(number="SMS0001", village=village)
    encrypted, id_hash, masked = seal_id_number(idnumbers.make("500223", date(1970, 1, 1), 5))
    phone = seal_phone("13900005555")
    member = Member.objects.create(
        household=household, name="周短信", id_number_encrypted=encrypted, id_hash=id_hash, id_masked=masked,
        sex="F", birth_date=date(1970, 1, 1), relation="head", phone_encrypted=phone[0], phone_hash=phone[1],
        phone_masked=phone[2], insurance_type="resident", registered_on=date(2000, 1, 1),
    )  # fmt: skip
    enrolment = Enrolment.objects.create(
        household=household, scheme_year=2022, member_count=1, due_fen=4500, enrolled_at=timezone.now()
    )
    EnrolledMember.objects.create(enrolment=enrolment, member=member, scheme_year=2022, due_fen=4500)
    with selectors.clock_at(datetime(2023, 3, 20, 9, 0, tzinfo=SHANGHAI)):
        claim = application.create_claim(member, stay_data(), actor=None)
        Claim.objects.filter(pk=claim.pk).update(state=ClaimState.IN_REVIEW, filed_on=date(2023, 3, 20))

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        with transaction.atomic(), selectors.clock_at(datetime(2023, 3, 22, 9, 0, tzinfo=SHANGHAI)):
            actions.request_info(claim, actor=None, reason="费用清单缺页，请补拍")
        notice = SmsNotice.objects.get(claim=claim)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            notice.refresh_from_db()
            if notice.sent_at is not None:
                break
            time.sleep(0.2)
    assert notice.sent_at is not None
    sent = _outbox("13900005555")
    assert len(sent) == 1 and "需补充材料：费用清单缺页" in sent[0].text
    assert send_decision_sms.apply(args=[notice.pk]).get() == "already_sent"
    assert len(_outbox("13900005555")) == 1
