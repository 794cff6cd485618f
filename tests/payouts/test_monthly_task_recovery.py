"""The beat task on the 1st (twice → one batch per town), the service firm's fee in the same batch, recovery of a
subsidy got by fraud (receivable, repayments, write-off by another person, the yearly total restored, a notice),
and the bank statement reconciliation."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from mutualaid.claims.models import Claim, ClaimState, MemberYearTotal
from mutualaid.funds import ledger
from mutualaid.funds.chart import BANK, EXPENSE_SERVICE_FEES, EXPENSE_SUBSIDIES, PAYABLE_SERVICE_FEES
from mutualaid.funds.models import EntryKind, JournalLine
from mutualaid.payouts import actions, bank_return, exports, reconciliation, recoveries
from mutualaid.payouts.models import LineKind, PayoutBatch, RecoveryState, TownNotice
from mutualaid.payouts.tasks import prepare_monthly_batches
from tests.payouts.conftest import APRIL


def codes(exc: ValidationError) -> dict[str, str]:
    return {field: errors[0].code for field, errors in exc.error_dict.items()}


def test_the_beat_task_runs_on_the_first_in_shanghai_time_and_twice_makes_one_batch(claims, scheme):
    entry = settings.CELERY_BEAT_SCHEDULE["payouts-monthly-batches"]
    assert entry["task"] == "payouts.prepare_monthly_batches"
    assert entry["schedule"].day_of_month == {1}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    first = prepare_monthly_batches.apply(kwargs={"month": "2023-04-01"}).get()
    second = prepare_monthly_batches.apply(kwargs={"month": "2023-04-01"}).get()
    assert first[scheme.town.code] == "created" and second[scheme.town.code] == "exists"
    connection.set_tenant(scheme.town)
    assert PayoutBatch.objects.count() == 1
    assert PayoutBatch.objects.get().line_count == 3


def test_the_service_fee_is_settled_in_the_same_batch(claims, users):
    with_fee = ledger.lock_year(2022)
    ledger.post(
        with_fee,
        EntryKind.EXPENSE_ACCRUAL,
        [ledger.debit(EXPENSE_SERVICE_FEES, 80_000), ledger.credit(PAYABLE_SERVICE_FEES, 80_000)],
        entry_date=date(2023, 3, 31),
        actor=None,
    )
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    fee = batch.lines.get(kind=LineKind.SERVICE_FEE)
    assert fee.amount_fen == 80_000 and batch.total_fen == 1_080_000
    villages, count, total = exports.summary(batch)
    assert villages[-1].name == "第三方服务费" and total == 1_080_000 and count == 4
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    assert ledger.balance_of(2022, PAYABLE_SERVICE_FEES) == 0
    fee.refresh_from_db()
    assert fee.state == "paid"  # transferred with the batch; the bank's return concerns the members' lines


def _paid_head(claims, users):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    bank_return.mark_lines(
        batch, [(line.pk, True, "") for line in batch.lines.all()], actor=users["town_finance"]
    )
    return Claim.objects.get(pk=claims["head"].pk)


def test_recovery_of_fraud(claims, users):
    head = _paid_head(claims, users)
    year_before = MemberYearTotal.objects.get(member_id=head.member_id).approved_fen
    expense = ledger.balance_of(2022, EXPENSE_SUBSIDIES)
    bank = ledger.balance_of(2022, BANK)
    recovery = recoveries.recover_claim(head, finding="伪造住院费用清单", actor=users["town_admin"])
    assert Claim.objects.get(pk=head.pk).state == ClaimState.RECOVERED
    assert MemberYearTotal.objects.get(member_id=head.member_id).approved_fen == year_before - 500_000
    notice = TownNotice.objects.get()
    assert "骗取" in notice.title and "王大山" not in notice.title  # the name masked
    assert "伪造住院费用清单" in notice.body
    with pytest.raises(ValidationError) as exc:
        recoveries.recover_claim(head, finding="再来", actor=users["town_admin"])
    assert codes(exc.value) == {"claim": "already_recovered"}

    recoveries.record_repayment(
        recovery, amount_fen=200_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
    )
    with pytest.raises(ValidationError) as exc:
        recoveries.record_repayment(
            recovery, amount_fen=400_000, paid_on=date(2023, 4, 1), actor=users["town_finance"]
        )
    assert codes(exc.value) == {"amount": "exceeds_balance"}
    assert ledger.balance_of(2022, BANK) == bank + 200_000
    # the whole subsidy left the expense when the claim was marked recovered (a receivable since)
    assert ledger.balance_of(2022, EXPENSE_SUBSIDIES) == expense - 500_000

    recoveries.request_write_off(recovery, reason="当事人已去世，无力偿还", actor=users["town_admin"])
    with pytest.raises(ValidationError) as exc:
        recoveries.approve_write_off(recovery, actor=users["town_admin"])
    assert codes(exc.value) == {"recovery": "same_person"}
    recovery = recoveries.approve_write_off(recovery, actor=users["town_finance"])
    assert recovery.state == RecoveryState.WRITTEN_OFF and recovery.written_off_fen == 300_000
    assert recovery.outstanding_fen == 0


def test_bank_statement_reconciliation(claims, users):
    _paid_head(claims, users)
    entries = [
        (line.entry.entry_date, line.amount_fen if line.side == "debit" else -line.amount_fen)
        for line in JournalLine.objects.filter(account__key=BANK, entry__entry_date__month=4).select_related(
            "entry"
        )
    ]
    assert entries
    rows = ["交易日期,收入金额,支出金额,摘要"] + [
        f"{on:%Y/%m/%d},{amount / 100 if amount > 0 else ''},{-amount / 100 if amount < 0 else ''},代发"
        for on, amount in entries
    ]
    recon = reconciliation.reconcile(
        APRIL, "\n".join(rows).encode("gbk"), file_name="对账单.csv", actor=users["town_finance"]
    )
    assert recon.closed and recon.difference_fen == 0 and len(recon.matched) == len(entries)
    rows.append("2023/04/02,12.00,,利息")
    recon = reconciliation.reconcile(
        APRIL, "\n".join(rows).encode("gbk"), file_name="对账单.csv", actor=users["town_finance"]
    )
    assert not recon.closed and recon.difference_fen == 1200 and len(recon.bank_only) == 1

    recon = reconciliation.book_statement_line(APRIL, recon.bank_only[0]["row"], scheme_year=2022, reason="专户利息",
                                        actor=users["town_finance"])  # fmt: skip
    assert recon.closed and recon.difference_fen == 0 and not recon.bank_only
    with pytest.raises(ValidationError) as exc:
        reconciliation.book_statement_line(
            APRIL, 999, scheme_year=2022, reason="x", actor=users["town_finance"]
        )
    assert codes(exc.value) == {"row": "unknown_line"}


def test_a_town_that_failed_mid_run_is_retried_for_the_same_month_and_the_others_keep_their_batch(
    claims, scheme, monkeypatch
):
    # given the database failing for this town on the first run
    from django.db import OperationalError

    from mutualaid.payouts import tasks

    real, calls = tasks.actions.gather_batch, []

    def flaky(month, *, actor):
        if connection.schema_name == scheme.town.schema_name:
            calls.append(month)
            if len(calls) == 1:
                raise OperationalError("server closed the connection unexpectedly")
        return real(month, actor=actor)

    monkeypatch.setattr(tasks.actions, "gather_batch", flaky)
    # when beat's run meets it (run eagerly: the retry re-runs the task with the month pinned)
    result = prepare_monthly_batches.apply(kwargs={"month": "2023-04-01"})
    # then the retry made the town's batch, for the month first asked, and the towns done answer "exists"
    outcome = result.get()
    assert outcome.pop(scheme.town.code) == "created" and set(outcome.values()) == {"exists"}
    assert [m.isoformat() for m in calls] == ["2023-04-01", "2023-04-01"]
    connection.set_tenant(scheme.town)
    assert PayoutBatch.objects.filter(month=date(2023, 4, 1)).count() == 1
