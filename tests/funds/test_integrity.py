"""The ledger's rules hold against raw writes too: PostgreSQL refuses edits, deletes and unbalanced entries."""

from datetime import date

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from mutualaid.funds import actions
from mutualaid.funds.chart import INCOME_SOURCES, SOURCE_SUFFIX, chart
from mutualaid.funds.models import FundYear, ImmutableError, JournalEntry, JournalLine
from mutualaid.policies.terms import FundingSource

DB_ERRORS = (IntegrityError, InternalError)


@pytest.fixture
def entry(in_dagong, finance):
    return actions.record_interest(2022, amount_fen=500, received_on=date(2022, 12, 21), actor=finance)


def test_every_funding_source_has_an_income_account():
    keys = {a.key for a in chart()}
    assert set(FundingSource.values) | {"interest"} == set(INCOME_SOURCES) == set(SOURCE_SUFFIX)
    assert all(f"income:{s}" in keys for s in INCOME_SOURCES)
    assert len({a.code for a in chart()}) == len(chart())


def test_model_refuses_edit_and_delete(entry):
    entry.memo = "改过"
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        JournalEntry.objects.filter(pk=entry.pk).update(memo="x")
    with pytest.raises(ImmutableError):
        JournalLine.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE funds_journalentry SET memo = 'x'",
        "DELETE FROM funds_journalentry",
        "UPDATE funds_journalline SET amount_fen = amount_fen + 1",
        "DELETE FROM funds_journalline",
        "TRUNCATE funds_journalline CASCADE",
    ],
)
def test_database_refuses_raw_edits_and_deletes(entry, sql):
    with pytest.raises(DB_ERRORS, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks, else TRUNCATE fails for that
        cursor.execute(sql)
    assert JournalEntry.objects.get(pk=entry.pk).memo == entry.memo


def _raw_entry(cursor, total: int, lines: int, number: int = 99) -> int:
    cursor.execute(
        "INSERT INTO funds_journalentry (scheme_year, number, kind, entry_date, memo, reference, method, counterparty,"
        " receipt_number, total_fen, line_count, reason, created_at, created_by_username) VALUES"
        " (2022, %s, 'interest', '2022-12-01', '', '', '', '', '', %s, %s, '', now(), '') RETURNING id",
        [number, total, lines],
    )
    return cursor.fetchone()[0]


def _raw_line(cursor, entry_id: int, key: str, side: str, amount: int, year: int = 2022) -> None:
    cursor.execute(
        "INSERT INTO funds_journalline (entry_id, scheme_year, account_id, side, amount_fen)"
        " SELECT %s, %s, id, %s, %s FROM funds_account WHERE key = %s",
        [entry_id, year, side, amount, key],
    )


def _commit_check(cursor):
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize(
    "lines",
    [
        [("bank", "debit", 100), ("income:interest", "credit", 90)],  # unbalanced
        [("bank", "debit", 100)],  # one line
        [],  # no lines
        [
            ("bank", "debit", 100),
            ("income:interest", "credit", 100),
            ("bank", "debit", 5),
            ("bank", "credit", 5),
        ],
        [("bank", "debit", 100), ("income:interest", "credit", 100, 2023)],  # line in another year
    ],
)
def test_database_refuses_unbalanced_entries_at_commit(entry, lines):
    with pytest.raises(DB_ERRORS, match="unbalanced"), transaction.atomic(), connection.cursor() as cursor:
        entry_id = _raw_entry(cursor, total=100, lines=max(len(lines), 2) if len(lines) != 4 else 2)
        for key, side, amount, *year in lines:
            _raw_line(cursor, entry_id, key, side, amount, *(year or [2022]))
        _commit_check(cursor)


def test_database_refuses_lines_added_to_a_posted_entry(entry):
    with pytest.raises(DB_ERRORS, match="unbalanced"), transaction.atomic(), connection.cursor() as cursor:
        _raw_line(cursor, entry.pk, "bank", "debit", 7)
        _raw_line(cursor, entry.pk, "income:interest", "credit", 7)
        _commit_check(cursor)


def test_database_refuses_zero_or_negative_lines(entry):
    for amount in (0, -100):
        with (
            pytest.raises(DB_ERRORS, match="funds_line_amount_positive"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            entry_id = _raw_entry(cursor, total=100, lines=2)
            _raw_line(cursor, entry_id, "bank", "debit", 100 - amount)
            _raw_line(cursor, entry_id, "income:interest", "credit", amount)


def test_a_balanced_raw_entry_is_accepted(entry):
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = _raw_entry(cursor, total=100, lines=2)
        _raw_line(cursor, entry_id, "bank", "debit", 100)
        _raw_line(cursor, entry_id, "income:interest", "credit", 100)
        _commit_check(cursor)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_an_entry_is_reversed_at_most_once_even_by_raw_insert(entry, finance):
    from mutualaid.funds.postings import reverse_entry

    reverse_entry(entry.pk, reason="录错", actor=finance)
    with pytest.raises(DB_ERRORS, match="reverses_id"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funds_journalentry (scheme_year, number, kind, entry_date, memo, reference, method,"
            " counterparty, receipt_number, total_fen, line_count, reason, created_at, created_by_username, reverses_id)"
            " VALUES (2022, 98, 'reversal', '2022-12-01', '', '', '', '', '', 500, 2, 'again', now(), '', %s)",
            [entry.pk],
        )


def test_a_closed_year_cannot_be_reopened(entry, finance):
    actions.close_year(2022, finance)
    with pytest.raises(DB_ERRORS, match="stays closed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funds_fundyear SET status = 'open' WHERE scheme_year = 2022")
    assert FundYear.objects.get(scheme_year=2022).is_closed


@pytest.mark.parametrize(
    "lines",
    [
        [("bank", "debit", 100), ("income:interest", "credit", 90)],
        [("bank", "debit", 100)],
        [("bank", "debit", 100), ("income:interest", "credit", 0), ("income:person", "credit", 100)],
        [("bank", "debit", 100), ("no:such", "credit", 100)],
    ],
)
def test_the_posting_engine_refuses_unbalanced_or_malformed_lines(in_dagong, finance, lines):
    from django.core.exceptions import ValidationError

    from mutualaid.funds import ledger

    year = ledger.lock_year(2022)
    with pytest.raises(ValidationError):
        ledger.post(
            year,
            "interest",
            [ledger.Line(*line) for line in lines],
            entry_date=date(2022, 12, 1),
            actor=finance,
        )
    assert not JournalEntry.objects.exists()
