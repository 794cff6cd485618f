"""Postings of one scheme year serialise on the year's row: concurrent postings get distinct consecutive voucher
numbers and cannot together overdraw the bank. Runs in a throw-away schema cloned from the template (committed
ledger rows cannot be deleted, by design), dropped afterwards."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mutualaid.funds import actions
from mutualaid.funds.ledger import balance_of
from mutualaid.funds.models import JournalEntry
from mutualaid.funds.postings import post_contribution

SCHEMA = "funds_race_test"
pytestmark = pytest.mark.django_db(transaction=True)


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


def _run_in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        connection.set_schema(SCHEMA)
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_contributions_get_consecutive_vouchers(race_schema):
    def work(i):
        return [
            post_contribution(
                2022, {"person": 4500}, method="cash", reference=f"t{i}-{n}", memo="", actor=None
            ).number
            for n in range(5)
        ]

    results = _run_in_threads(4, work)
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == list(range(1, 21))
    assert balance_of(2022, "bank") == 20 * 4500
    assert JournalEntry.objects.count() == 20


def test_concurrent_payments_cannot_overdraw_the_bank(race_schema):
    post_contribution(2022, {"person": 10_000}, method="cash", reference="fees", memo="", actor=None)
    actions.accrue_expense(
        2022, expense="subsidies", amount_fen=20_000, incurred_on=date(2023, 1, 5), actor=None
    )

    def work(i):
        return actions.pay_payable(
            2022, payable="subsidies", amount_fen=7_000, paid_on=date(2023, 1, 6), actor=None
        )

    results = _run_in_threads(2, work)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and refused[0].error_dict["amount"][0].code == "insufficient_balance"
    assert balance_of(2022, "bank") == 3_000
