"""The API enrolment calls: post_contribution and reverse_entry."""

import pytest
from django.core.exceptions import ValidationError

from mutualaid.funds.ledger import balance_of
from mutualaid.funds.models import EntryKind, JournalEntry, JournalLine
from mutualaid.funds.postings import post_contribution, reverse_entry
from mutualaid.platform.audit.models import AuditEvent


def _codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def test_haian_person_pays_50_and_town_and_village_underwrite_the_rest(in_dagong, finance):
    entry = post_contribution(
        2022,
        {"person": 5000, "town_finance": 2500, "village_collective": 2500},
        method="mobile_payment",
        reference="enrol:1",
        memo="",
        actor=finance,
    )
    assert isinstance(entry.id, int) and entry.kind == EntryKind.CONTRIBUTION
    lines = {(line.account.key, line.side, line.amount_fen) for line in entry.lines.select_related("account")}
    assert lines == {
        ("bank", "debit", 10000),
        ("income:person", "credit", 5000),
        ("income:town_finance", "credit", 2500),
        ("income:village_collective", "credit", 2500),
    }
    assert balance_of(2022, "bank") == 10000
    assert AuditEvent.objects.filter(action="funds.contribution", object_id=str(entry.id)).exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"amounts_by_source": {}}, "amounts_by_source", "required"),
        ({"amounts_by_source": {"person": 0}}, "amounts_by_source", "invalid_amount"),
        ({"amounts_by_source": {"person": -100}}, "amounts_by_source", "invalid_amount"),
        ({"amounts_by_source": {"person": 10**13}}, "amounts_by_source", "invalid_amount"),
        ({"amounts_by_source": {"person": 45.0}}, "amounts_by_source", "invalid_amount"),
        ({"amounts_by_source": {"interest": 100}}, "amounts_by_source", "invalid_source"),
        ({"amounts_by_source": {"nobody": 100}}, "amounts_by_source", "invalid_source"),
        ({"method": "cheque"}, "method", "invalid_method"),
        ({"scheme_year": 1999}, "scheme_year", "invalid_year"),
    ],
)
def test_bad_contributions_are_refused_with_typed_errors_and_write_nothing(
    in_dagong, finance, kwargs, field, code
):
    args = {"scheme_year": 2022, "amounts_by_source": {"person": 4500}, "method": "cash"} | kwargs
    with pytest.raises(ValidationError) as caught:
        post_contribution(
            args.pop("scheme_year"),
            args.pop("amounts_by_source"),
            reference="r",
            memo="",
            actor=finance,
            **args,
        )
    assert _codes(caught.value) == {field: [code]}
    assert not JournalEntry.objects.exists() and not JournalLine.objects.exists()


def test_reversal_mirrors_the_entry_once_and_keeps_the_reason(in_dagong, finance, check_db_constraints):
    entry = post_contribution(2022, {"person": 4500}, method="cash", reference="r1", memo="", actor=finance)
    reversal = reverse_entry(entry.id, reason="重复收款", actor=finance)
    check_db_constraints()
    assert reversal.reverses_id == entry.id and reversal.reason == "重复收款"
    assert balance_of(2022, "bank") == 0 and balance_of(2022, "income:person") == 0
    with pytest.raises(ValidationError) as again:
        reverse_entry(entry.id, reason="再冲一次", actor=finance)
    assert _codes(again.value) == {"entry_id": ["already_reversed"]}
    with pytest.raises(ValidationError) as of_reversal:
        reverse_entry(reversal.id, reason="冲销冲销凭证", actor=finance)
    assert _codes(of_reversal.value) == {"entry_id": ["not_reversible"]}
    with pytest.raises(ValidationError) as blank:
        reverse_entry(entry.id, reason="  ", actor=finance)
    assert _codes(blank.value) == {"reason": ["required"]}
    with pytest.raises(ValidationError) as missing:
        reverse_entry(10**9, reason="x", actor=finance)
    assert _codes(missing.value) == {"entry_id": ["not_found"]}
    assert JournalEntry.objects.count() == 2
