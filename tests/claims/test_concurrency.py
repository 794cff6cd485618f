"""Approvals for one member serialise on the member's year: 50 simultaneous approvals (two for each of 25 claims,
each on its own thread and connection) never exceed the yearly cap, and no claim is approved or posted twice.
Runs in a throw-away schema cloned from the template (committed ledger rows cannot be deleted), dropped after."""

import threading
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from mutualaid.claims import actions, application, selectors
from mutualaid.claims.models import Claim, ClaimState, MemberYearTotal
from mutualaid.funds.ledger import balance_of
from mutualaid.funds.models import EntryKind, JournalEntry
from tests.claims.conftest import SHANGHAI, stay_data
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture

SCHEMA = "claims_race_test"
pytestmark = pytest.mark.django_db(transaction=True)
CLAIMS = 25


@pytest.fixture
def race_schema(django_db_blocker):
    from django_tenants.clone import CloneSchema

    from mutualaid.tenants.migration import template_schema

    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    CloneSchema().clone_schema(template_schema(), SCHEMA, "DATA")
    connection.set_schema(SCHEMA)
    yield SCHEMA
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


def _member():
    from mutualaid.enrolment.actions import seal_id_number, seal_phone
    from mutualaid.enrolment.models import EnrolledMember, Enrolment, Household, Member, Village
    from mutualaid.platform import idnumbers

    village = Village.objects.create(code="500152116299", name="并发村", joined=True)
    household = Household.objects.create(number="RACE0001", village=village)
    number = idnumbers.make("500223", date(1960, 5, 1), 77)
    encrypted, id_hash, masked = seal_id_number(number)
    phone = seal_phone("13900009999")
    member = Member.objects.create(
        household=household, name="孙并发", id_number_encrypted=encrypted, id_hash=id_hash, id_masked=masked,
        sex="M", birth_date=date(1960, 5, 1), relation="head", phone_encrypted=phone[0], phone_hash=phone[1],
        phone_masked=phone[2], insurance_type="resident", registered_on=date(2000, 1, 1),
    )  # fmt: skip
    enrolment = Enrolment.objects.create(
        household=household, scheme_year=2022, member_count=1, due_fen=4500, enrolled_at=timezone.now()
    )
    EnrolledMember.objects.create(enrolment=enrolment, member=member, scheme_year=2022, due_fen=4500)
    return member


def test_fifty_concurrent_approvals_never_exceed_the_yearly_cap(race_schema, drg_catalogue):  # noqa: F811
    from mutualaid.drg.models import IcdCode
    from mutualaid.policies.actions import apply_preset

    IcdCode.objects.get_or_create(
        edition="医保版2.0", kind="diagnosis", code="C34.900", defaults={"name": "肺癌"}
    )
    IcdCode.objects.get_or_create(
        edition="医保版2.0", kind="procedure", code="32.4100", defaults={"name": "肺叶切除"}
    )
    apply_preset("xinsheng-2022", None, publish=True)
    member = _member()
    ids = []
    with selectors.clock_at(datetime(2023, 10, 1, 9, 0, tzinfo=SHANGHAI)):
        for i in range(CLAIMS):
            admitted = date(2022, 11, 1) + timedelta(days=10 * i)
            data = stay_data(admission_date=admitted, discharge_date=admitted + timedelta(days=3),
                             total_cost_fen=3_000_000, insurance_paid_fen=1_000_000, out_of_pocket_fen=2_000_000)  # fmt: skip
            claim = application.create_claim(member, data, actor=None)
            Claim.objects.filter(pk=claim.pk).update(state=ClaimState.IN_REVIEW, filed_on=date(2023, 10, 1))
            ids.append(claim.pk)

    barrier = threading.Barrier(2 * CLAIMS)
    results: list = [None] * (2 * CLAIMS)

    def run(i):
        connection.set_schema(SCHEMA)
        try:
            with selectors.clock_at(datetime(2023, 10, 9, 9, 0, tzinfo=SHANGHAI)):
                barrier.wait()
                claim = Claim.objects.get(pk=ids[i % CLAIMS])
                results[i] = actions.approve(claim, actor=None, drg_code="EB19").amount_fen
        except ValidationError as exc:
            results[i] = next(iter(exc.error_dict.values()))[0].code
        except Exception as exc:  # collected and asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2 * CLAIMS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    connection.set_schema(SCHEMA)
    amounts = [r for r in results if isinstance(r, int)]
    refusals = {r for r in results if isinstance(r, str)}
    assert not [r for r in results if isinstance(r, Exception)], results
    # 15,000 a claim: six of them and 10,000 of a seventh reach the 100,000 cap.
    assert sum(amounts) == 10_000_000 and sorted(amounts) == [1_000_000] + [1_500_000] * 6
    assert refusals <= {"wrong_state", "exceeds_yearly_cap"}
    approved = Claim.objects.filter(state=ClaimState.APPROVED)
    assert approved.count() == 7
    assert JournalEntry.objects.filter(kind=EntryKind.EXPENSE_ACCRUAL).count() == 7
    assert balance_of(2022, "payable:subsidies") == 10_000_000
    assert MemberYearTotal.objects.get(member_id=member.pk).approved_fen == 10_000_000
