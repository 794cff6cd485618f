"""Paying a claim twice is impossible, also at once: two people preparing the same month make one batch, four
exporting the same batch post one payment, four marking the same lines mark them once, two importing the same
return reverse it once. Each on its own thread and connection, in a throw-away schema cloned from the template
(committed ledger rows cannot be deleted), dropped after."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mutualaid.claims import selectors
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.funds.chart import BANK
from mutualaid.funds.ledger import balance_of
from mutualaid.payouts import actions, bank_return, recoveries, rules
from mutualaid.payouts.models import BatchPosting, BatchState, LineState, PayoutBatch, PayoutLine, PostingKind
from tests.claims.conftest import SHANGHAI
from tests.claims.test_concurrency import _member
from tests.factories import make_user
from tests.payouts.conftest import APRIL, approved_claim, fund_bank

SCHEMA = "payouts_race_test"
pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2023, 4, 1, 9, 0, tzinfo=SHANGHAI)


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


def at_once(n: int, work) -> list:
    """Run ``work(i)`` on ``n`` threads released together; results, typed error codes or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        connection.set_schema(SCHEMA)
        try:
            with selectors.clock_at(NOW):
                barrier.wait()
                results[i] = work(i)
        except ValidationError as exc:
            results[i] = next(iter(exc.error_dict.values()))[0].code
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.set_schema(SCHEMA)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


def test_a_batch_is_made_once_and_paid_once_under_concurrency(race_schema):
    admin = make_user()
    finance = make_user()
    member = _member()
    with selectors.clock_at(NOW):
        fund_bank(50_000_000)
        ids = [approved_claim(member, 100_000 + i).pk for i in range(12)]
    bank = balance_of(2022, BANK)

    made = at_once(2, lambda i: actions.gather_batch(APRIL, actor=admin)[1])
    assert sorted(made) == [False, True]
    assert PayoutBatch.objects.count() == 1
    batch = PayoutBatch.objects.get()
    assert batch.line_count == 12
    with selectors.clock_at(NOW):
        actions.approve_batch(batch, actor=finance)

    exported = at_once(4, lambda i: actions.export_batch(batch, fmt="csv", actor=finance)[0].export_count)
    assert sorted(exported) == [1, 2, 3, 4]
    total = sum(100_000 + i for i in range(12))
    assert BatchPosting.objects.filter(kind=PostingKind.PAYMENT).count() == 1
    assert balance_of(2022, BANK) == bank - total

    lines = list(PayoutLine.objects.filter(batch=batch).order_by("pk"))
    marks = [(line.pk, i != 0, "卡号错误") for i, line in enumerate(lines)]
    marked = at_once(4, lambda i: bank_return.mark_lines(batch, marks, actor=finance).state)
    assert sorted(marked, key=str) == [BatchState.SETTLED] + ["wrong_state"] * 3  # settled by the first
    assert Claim.objects.filter(pk__in=ids, state=ClaimState.PAID).count() == 11
    assert Claim.objects.filter(pk__in=ids, state=ClaimState.APPROVED).count() == 1
    assert BatchPosting.objects.filter(kind=PostingKind.RETURN).count() == 1
    assert balance_of(2022, BANK) == bank - total + lines[0].amount_fen
    assert PayoutLine.objects.filter(state=LineState.PAID).count() == 11


def test_two_imports_of_one_return_file_record_it_once(race_schema):
    admin, finance = make_user(), make_user()
    member = _member()
    with selectors.clock_at(NOW):
        fund_bank(50_000_000)
        for i in range(5):
            approved_claim(member, 200_000 + i)
        batch, _ = actions.gather_batch(APRIL, actor=admin)
        actions.approve_batch(batch, actor=finance)
        actions.export_batch(batch, fmt="csv", actor=finance)
    lines = list(batch.lines.order_by("pk"))
    content = "\n".join(
        ["流水号,户名,金额,状态,失败原因"]
        + [
            f"{rules.line_reference(batch.month, line.pk)},{line.payee_name},{rules.yuan_text(line.amount_fen)},失败,户名不符"
            for line in lines
        ]
    ).encode()
    results = at_once(
        2, lambda i: bank_return.import_return(batch, content, file_name="r.csv", actor=finance).state
    )
    assert sorted(results, key=str) == [BatchState.SETTLED, "wrong_state"]
    assert BatchPosting.objects.filter(kind=PostingKind.RETURN).count() == 1
    assert Claim.objects.filter(state=ClaimState.APPROVED).count() == 5


def test_recovery_at_once_books_one_receivable_and_repayments_never_exceed_it(race_schema):
    from mutualaid.funds.chart import MEMBER_RECEIVABLE
    from mutualaid.funds.ledger import reference_balance
    from mutualaid.payouts.models import Recovery

    admin, finance = make_user(), make_user()
    member = _member()
    with selectors.clock_at(NOW):
        fund_bank(50_000_000)
        claim = approved_claim(member, 500_000)
        batch, _ = actions.gather_batch(APRIL, actor=admin)
        actions.approve_batch(batch, actor=finance)
        actions.export_batch(batch, fmt="csv", actor=finance)
        bank_return.mark_lines(batch, [(line.pk, True, "") for line in batch.lines.all()], actor=finance)
    claim = Claim.objects.get(pk=claim.pk)

    recovered = at_once(2, lambda i: recoveries.recover_claim(claim, finding="伪造票据", actor=admin).pk)
    assert sorted(recovered, key=str)[1] == "already_recovered"
    recovery = Recovery.objects.get()
    assert balance_of(2022, MEMBER_RECEIVABLE) == 500_000

    repaid = at_once(
        3,
        lambda i: (
            recoveries.record_repayment(recovery, amount_fen=200_000, paid_on=APRIL, actor=finance).repaid_fen
        ),
    )
    assert sorted(repaid, key=str) == [200_000, 400_000, "exceeds_balance"]
    recovery.refresh_from_db()
    assert recovery.outstanding_fen == reference_balance(MEMBER_RECEIVABLE, recovery.reference) == 100_000
    assert balance_of(2022, MEMBER_RECEIVABLE) == 100_000
