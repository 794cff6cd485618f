"""Recovery of a subsidy got by fraud is double-entry (issue 16 item 8): marking the paid claim recovered books a
receivable from the member against the subsidy expense, each repayment moves it to the bank, an approved
write-off to the write-off loss; the recovery's outstanding amount always equals the receivable's balance for it,
the trial balance balances, nothing is edited in place, and the monthly disclosure still reconciles."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

import mutualaid
from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import Claim, MemberYearTotal
from mutualaid.disclosure import builder
from mutualaid.funds import actions as fund_actions
from mutualaid.funds import ledger, postings
from mutualaid.funds.chart import (
    BANK,
    EXPENSE_RECOVERY_WRITE_OFFS,
    EXPENSE_SUBSIDIES,
    MEMBER_RECEIVABLE,
    chart,
)
from mutualaid.funds.models import EntryKind, JournalEntry, JournalLine
from mutualaid.payouts import actions, bank_return, recoveries
from mutualaid.payouts.models import Recovery, RecoveryState
from mutualaid.platform.audit.models import AuditEvent
from tests.payouts.conftest import APRIL


def codes(exc: ValidationError) -> dict[str, str]:
    return {field: errors[0].code for field, errors in exc.error_dict.items()}


def _paid(claims, users, key: str = "head") -> Claim:
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    bank_return.mark_lines(
        batch, [(line.pk, True, "") for line in batch.lines.all()], actor=users["town_finance"]
    )
    return Claim.objects.get(pk=claims[key].pk)


def _balanced(scheme_year: int = 2022) -> bool:
    rows = ledger.account_totals(scheme_year)
    return sum(r.debit_fen for r in rows) == sum(r.credit_fen for r in rows)


def _consistent(recovery: Recovery) -> dict[str, int]:
    recovery.refresh_from_db()
    c = recoveries.recovery_consistency(recovery)
    assert c["outstanding_fen"] == c["receivable_fen"]
    assert c["booked_fen"] == c["amount_fen"]
    assert c["repaid_fen"] == c["ledger_repaid_fen"] and c["written_off_fen"] == c["ledger_written_off_fen"]
    return c


def test_the_chart_has_the_member_receivable_and_the_write_off_loss():
    by_key = {a.key: a for a in chart()}
    assert by_key[MEMBER_RECEIVABLE].name == "应收个人退回补助" and by_key[MEMBER_RECEIVABLE].kind == "asset"
    assert by_key[EXPENSE_RECOVERY_WRITE_OFFS].kind == "expense"
    assert not MEMBER_RECEIVABLE.startswith("receivable:")  # not pledged income


def test_marking_a_paid_claim_recovered_books_a_receivable_against_the_subsidy_expense(claims, users):
    head = _paid(claims, users)
    expense, bank = ledger.balance_of(2022, EXPENSE_SUBSIDIES), ledger.balance_of(2022, BANK)
    year_before = MemberYearTotal.objects.get(member_id=head.member_id).approved_fen

    recovery = recoveries.recover_claim(head, finding="伪造住院费用清单", actor=users["town_admin"])

    assert ledger.balance_of(2022, MEMBER_RECEIVABLE) == 500_000
    assert ledger.balance_of(2022, EXPENSE_SUBSIDIES) == expense - 500_000
    assert ledger.balance_of(2022, BANK) == bank  # nothing came back yet
    assert MemberYearTotal.objects.get(member_id=head.member_id).approved_fen == year_before - 500_000
    entry = JournalEntry.objects.get(pk=recovery.entry_id)
    assert entry.kind == EntryKind.SUBSIDY_RECOVERY and entry.reference == f"recovery:{recovery.pk}"
    assert recovery.voucher == entry.voucher
    assert _consistent(recovery)["receivable_fen"] == 500_000
    assert _balanced()
    # the claim's side, as the claims domain sees it: recovered after paid, the year's total no longer counts it
    assert claim_selectors.approved_so_far(head.member_id, 2022) == year_before - 500_000
    assert [e.action for e in head.events.order_by("at", "pk")][-3:] == ["batched", "paid", "recovered"]
    # a recovery is never money straight back in the bank: the receivable against the expense, nothing else
    for booked in JournalEntry.objects.filter(kind=EntryKind.SUBSIDY_RECOVERY):
        assert {line.account.key for line in booked.lines.all()} == {MEMBER_RECEIVABLE, EXPENSE_SUBSIDIES}


def _posts_of(kind: str) -> list[tuple[str, set[str]]]:
    """Every call ``….post(…)`` in the project's code that names ``EntryKind.<kind>``, with the names it uses."""
    root = Path(mutualaid.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "post"
            ):
                continue
            inside = list(ast.walk(node))
            if any(isinstance(n, ast.Attribute) and n.attr == kind for n in inside):
                names = {n.id for n in inside if isinstance(n, ast.Name)}
                found.append((str(path.relative_to(root.parent)), names))
    return found


def test_no_code_path_posts_a_subsidy_recovery_from_the_bank_to_the_expense():
    """One recovery path (issue 16 item 8): only ``funds.postings.book_recovery`` posts a subsidy recovery, and it
    debits the member's receivable, never the bank (claims' old ``recover`` put the money straight back in the
    bank, skipping the receivable; entries it made stay readable under the same kind)."""
    import mutualaid.claims.actions as claim_actions

    posts = _posts_of("SUBSIDY_RECOVERY")
    assert [path for path, _ in posts] == ["mutualaid/funds/postings.py"]
    ((_, names),) = posts
    assert "MEMBER_RECEIVABLE" in names and "EXPENSE_SUBSIDIES" in names and "BANK" not in names
    assert not hasattr(claim_actions, "recover")


def test_repayments_move_the_receivable_to_the_bank_until_settled(claims, users):
    recovery = recoveries.recover_claim(_paid(claims, users), finding="虚开票据", actor=users["town_admin"])
    expense, bank = ledger.balance_of(2022, EXPENSE_SUBSIDIES), ledger.balance_of(2022, BANK)
    for n, amount in enumerate((100_000, 150_000, 250_000), start=1):
        recovery = recoveries.record_repayment(
            recovery, amount_fen=amount, paid_on=date(2023, 4, 1), actor=users["town_finance"]
        )
        assert _consistent(recovery)["outstanding_fen"] == 500_000 - sum((100_000, 150_000, 250_000)[:n])
        assert ledger.balance_of(2022, EXPENSE_SUBSIDIES) == expense  # the expense moved once, at recovery
        assert _balanced()
    assert recovery.state == RecoveryState.SETTLED and recovery.outstanding_fen == 0
    assert ledger.balance_of(2022, BANK) == bank + 500_000
    assert ledger.balance_of(2022, MEMBER_RECEIVABLE) == 0
    kinds = set(
        JournalLine.objects.filter(account__key=MEMBER_RECEIVABLE).values_list("entry__kind", flat=True)
    )
    assert kinds == {EntryKind.SUBSIDY_RECOVERY, EntryKind.RECOVERY_REPAYMENT}
    with pytest.raises(ValidationError) as exc:
        recoveries.record_repayment(
            recovery, amount_fen=1, paid_on=date(2023, 4, 1), actor=users["town_finance"]
        )
    assert codes(exc.value) == {"recovery": "wrong_state"}


def test_an_approved_write_off_posts_the_rest_to_the_write_off_loss(claims, users):
    head = _paid(claims, users)
    recovery = recoveries.recover_claim(head, finding="伪造住院费用清单", actor=users["town_admin"])
    recoveries.record_repayment(
        recovery, amount_fen=200_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
    )
    expense = ledger.balance_of(2022, EXPENSE_SUBSIDIES)
    year_total = MemberYearTotal.objects.get(member_id=head.member_id).approved_fen
    recoveries.request_write_off(recovery, reason="当事人已去世，无力偿还", actor=users["town_admin"])
    assert ledger.balance_of(2022, EXPENSE_RECOVERY_WRITE_OFFS) == 0  # a request posts nothing
    with pytest.raises(ValidationError) as exc:
        recoveries.approve_write_off(recovery, actor=users["town_admin"])
    assert codes(exc.value) == {"recovery": "same_person"}
    assert ledger.balance_of(2022, MEMBER_RECEIVABLE) == 300_000  # the refusal wrote nothing

    recovery = recoveries.approve_write_off(recovery, actor=users["town_finance"])

    assert recovery.state == RecoveryState.WRITTEN_OFF and recovery.written_off_fen == 300_000
    assert ledger.balance_of(2022, MEMBER_RECEIVABLE) == 0
    assert ledger.balance_of(2022, EXPENSE_RECOVERY_WRITE_OFFS) == 300_000
    assert ledger.balance_of(2022, EXPENSE_SUBSIDIES) == expense  # a loss of the fund, not a subsidy
    assert MemberYearTotal.objects.get(member_id=head.member_id).approved_fen == year_total
    entry = JournalEntry.objects.get(pk=recovery.write_off_entry_id)
    assert entry.kind == EntryKind.RECOVERY_WRITE_OFF and "当事人已去世" in entry.memo
    event = AuditEvent.objects.filter(action="payouts.write_off_approved").latest("pk")
    assert event.data["written_off_fen"] == 300_000 and event.data["voucher"] == recovery.write_off_voucher
    assert recovery.write_off_approved_by_id == users["town_finance"].pk
    assert _consistent(recovery)["receivable_fen"] == 0
    assert _balanced()


def test_recovery_entries_are_not_reversed_by_hand_and_the_ledger_refuses_overpaying(claims, users):
    recovery = recoveries.recover_claim(_paid(claims, users), finding="虚开票据", actor=users["town_admin"])
    with pytest.raises(ValidationError) as exc:
        postings.reverse_entry(recovery.entry_id, reason="弄错了", actor=users["town_finance"])
    assert codes(exc.value) == {"entry_id": "not_reversible"}
    with pytest.raises(ValidationError) as exc:
        postings.receive_recovery(
            2022, amount_fen=500_001, reference=recovery.reference, on=date(2023, 4, 1), actor=None
        )
    assert codes(exc.value) == {"amount": "insufficient_balance"}
    with pytest.raises(ValidationError) as exc:
        postings.book_recovery(
            2022, amount_fen=1, reference=recovery.reference, on=date(2023, 4, 1), actor=None
        )
    assert codes(exc.value) == {"reference": "invalid"}
    assert _consistent(recovery)["receivable_fen"] == 500_000


def test_after_the_year_is_closed_the_receivable_is_carried_and_repaid_in_the_next_year(claims, users):
    recovery = recoveries.recover_claim(_paid(claims, users), finding="虚开票据", actor=users["town_admin"])
    recoveries.record_repayment(
        recovery, amount_fen=100_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
    )
    fund_actions.close_year(2022, users["town_finance"])
    assert ledger.balance_of(2023, MEMBER_RECEIVABLE) == 400_000  # carried by the opening entry

    recovery = recoveries.record_repayment(
        recovery, amount_fen=150_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
    )

    assert ledger.balance_of(2023, MEMBER_RECEIVABLE) == 250_000
    assert _consistent(recovery)["outstanding_fen"] == 250_000
    assert _balanced(2022) and _balanced(2023)


def test_the_month_s_disclosure_reconciles_with_recovery_repayment_and_write_off(claims, users, scheme):
    recovery = recoveries.recover_claim(_paid(claims, users), finding="虚开票据", actor=users["town_admin"])
    recoveries.record_repayment(
        recovery, amount_fen=200_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
    )
    recoveries.request_write_off(recovery, reason="无力偿还", actor=users["town_admin"])
    recoveries.approve_write_off(recovery, actor=users["town_finance"])

    built = builder.build(APRIL, town_name="新胜镇", town_code=scheme.town.code)

    checks = built.content["checks"]
    assert checks["ledger_balanced"] and checks["totals_reconcile"] and checks["bank_reconciles"]
    assert built.reconciled
    assert built.content["recovered_fen"] == 500_000
    assert built.content["written_off_fen"] == 300_000
    assert built.content["bank"]["in_by_kind"]["追回款到账"] == 200_000


def test_a_recovery_marked_before_the_receivable_existed_is_booked_once(claims, users):
    head = _paid(claims, users)
    legacy = Recovery.objects.create(  # as the old action left it: no ledger entry, repaid 100 元 to the expense
        claim_id=head.pk, member_id=head.member_id, scheme_year=2022, amount_fen=500_000, repaid_fen=10_000,
        finding="旧数据",
    )  # fmt: skip
    assert recoveries.book_unbooked_recoveries(actor=None) == 1
    assert recoveries.book_unbooked_recoveries(actor=None) == 0
    legacy.refresh_from_db()
    assert legacy.voucher and ledger.reference_balance(MEMBER_RECEIVABLE, legacy.reference) == 490_000
    recoveries.record_repayment(
        legacy, amount_fen=490_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
    )
    legacy.refresh_from_db()
    assert legacy.state == RecoveryState.SETTLED
    assert ledger.reference_balance(MEMBER_RECEIVABLE, legacy.reference) == 0
