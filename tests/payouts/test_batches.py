"""A month's batch: gathered once, approved by someone else, exported (paying it in the ledger), the bank's
return recorded (returned lines back to the next batch with their reason, an SMS to the member)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.claims.models import Claim, ClaimEvent, ClaimState, SmsNotice
from mutualaid.funds.chart import BANK, PAYABLE_SUBSIDIES
from mutualaid.funds.ledger import balance_of
from mutualaid.payouts import actions, bank_return, rules
from mutualaid.payouts.models import BatchState, LineState, PayoutBatch
from mutualaid.platform.audit.models import AuditEvent
from tests.payouts.conftest import APRIL


def codes(exc: ValidationError) -> dict[str, str]:
    return {field: errors[0].code for field, errors in exc.error_dict.items()}


def state(claim) -> str:
    return Claim.objects.get(pk=claim.pk).state


def return_csv(batch, rows) -> bytes:
    lines = ["流水号,户名,金额,状态,失败原因"]
    for line, status, reason in rows:
        lines.append(
            f"{rules.line_reference(batch.month, line.pk)},{line.payee_name},{rules.yuan_text(line.amount_fen)},"
            f"{status},{reason}"
        )
    return "\n".join(lines).encode("gbk")


def test_gathering_takes_last_months_approved_claims_once(claims, users):
    batch, created = actions.gather_batch(APRIL, actor=users["town_admin"])
    again, created_again = actions.gather_batch(APRIL, actor=users["town_admin"])
    assert created and not created_again and again.pk == batch.pk
    assert PayoutBatch.objects.count() == 1
    assert batch.line_count == 3 and batch.total_fen == 1_000_000
    assert batch.period_end == date(2023, 3, 31)
    assert state(claims["head"]) == ClaimState.IN_BATCH
    assert state(claims["late"]) == ClaimState.APPROVED  # approved in April: next month's batch
    assert ClaimEvent.objects.filter(action="batched").count() == 3


def test_the_whole_month_pays_and_returns_through_the_ledger(claims, users):
    bank_before = balance_of(2022, BANK)
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    batch, content = actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    text = content.decode("utf-8-sig")
    assert "6228480402564890018" in text  # in full only in the bank file
    assert batch.state == BatchState.EXPORTED
    assert balance_of(2022, BANK) == bank_before - 1_000_000
    assert balance_of(2022, PAYABLE_SUBSIDIES) == 100_000  # the April claim still owed
    # a second export writes the file again and pays nothing more
    actions.export_batch(batch, fmt="xlsx", actor=users["town_finance"])
    assert balance_of(2022, BANK) == bank_before - 1_000_000
    assert AuditEvent.objects.filter(action="payouts.bank_file_exported").count() == 2

    lines = {line.claim_id: line for line in batch.lines.all()}
    head, spouse, neighbour = (lines[claims[k].pk] for k in ("head", "spouse", "neighbour"))
    content = return_csv(
        batch, [(head, "成功", ""), (spouse, "失败", "户名与卡号不符"), (neighbour, "成功", "")]
    )
    batch = bank_return.import_return(batch, content, file_name="回盘.csv", actor=users["town_finance"])
    assert batch.state == BatchState.SETTLED
    assert state(claims["head"]) == ClaimState.PAID
    assert state(claims["spouse"]) == ClaimState.APPROVED
    assert balance_of(2022, BANK) == bank_before - 700_000
    assert balance_of(2022, PAYABLE_SUBSIDIES) == 400_000
    notice = SmsNotice.objects.get(claim_id=claims["spouse"].pk)
    assert "退回" in notice.text and "户名与卡号不符" in notice.text
    # the task after commit sends it once (a redelivery finds it sent)
    from mutualaid.claims.tasks import send_decision_sms_many
    from mutualaid.platform.sms import RecordingSmsBackend

    before = len([m for m in RecordingSmsBackend.outbox if m.phone == "13900002222"])
    assert send_decision_sms_many.apply(args=[[notice.pk]]).get() == {"sent": 1}
    assert send_decision_sms_many.apply(args=[[notice.pk]]).get() == {"already_sent": 1}
    sent = [m for m in RecordingSmsBackend.outbox if m.phone == "13900002222"][before:]
    assert len(sent) == 1 and "退回" in sent[0].text
    totals = actions.batch_consistency(batch)
    assert totals["total_fen"] == totals["lines_fen"] == totals["paid_out_fen"] == 1_000_000
    assert totals["back_fen"] == totals["not_paid_fen"] == 300_000


def test_returned_line_goes_to_the_next_batch_with_its_reason(claims, users, april):
    from datetime import datetime

    from tests.claims.conftest import SHANGHAI

    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    spouse_line = batch.lines.get(claim_id=claims["spouse"].pk)
    bank_return.mark_lines(
        batch,
        [(line.pk, line.pk != spouse_line.pk, "账户已销户") for line in batch.lines.all()],
        actor=users["town_finance"],
    )
    april.set(datetime(2023, 5, 1, 1, 0, tzinfo=SHANGHAI))
    may, created = actions.gather_batch(None, actor=None)
    assert created and may.month == date(2023, 5, 1)
    carried = may.lines.get(claim_id=claims["spouse"].pk)
    assert carried.carried_reason == "账户已销户"
    assert may.lines.filter(claim_id=claims["late"].pk).exists()


def test_a_line_taken_out_before_approval_goes_back(claims, users):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    line = batch.lines.get(claim_id=claims["neighbour"].pk)
    actions.remove_line(line, reason="银行卡号待核实", actor=users["town_admin"])
    batch.refresh_from_db()
    assert batch.total_fen == 800_000 and batch.line_count == 2
    assert state(claims["neighbour"]) == ClaimState.APPROVED
    actions.approve_batch(batch, actor=users["town_finance"])
    other = batch.lines.get(claim_id=claims["head"].pk)
    with pytest.raises(ValidationError) as exc:
        actions.remove_line(other, reason="晚了", actor=users["town_admin"])
    assert codes(exc.value) == {"batch": "wrong_state"}


def test_reversal_after_payment(claims, users):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    bank_return.mark_lines(
        batch, [(line.pk, True, "") for line in batch.lines.all()], actor=users["town_finance"]
    )
    payable = balance_of(2022, PAYABLE_SUBSIDIES)
    line = batch.lines.get(claim_id=claims["head"].pk)
    bank_return.reverse_line(line, reason="银行撤回转账", actor=users["town_finance"])
    assert state(claims["head"]) == ClaimState.APPROVED
    assert balance_of(2022, PAYABLE_SUBSIDIES) == payable + 500_000
    line.refresh_from_db()
    assert line.state == LineState.REVERSED


def test_bad_input_is_refused_and_nothing_is_written(claims, users):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    with pytest.raises(ValidationError) as exc:
        actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    assert codes(exc.value) == {"batch": "not_approved"}
    with pytest.raises(ValidationError) as exc:
        actions.approve_batch(batch, actor=users["town_admin"])
    assert codes(exc.value) == {"batch": "same_person"}
    actions.approve_batch(batch, actor=users["town_finance"])
    batch, _ = actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    lines = list(batch.lines.order_by("pk"))
    bank = balance_of(2022, BANK)

    class Fake:
        pk = 999_999
        payee_name = "无名"
        amount_fen = 100

    cases = [
        ([(lines[0], "成功", ""), (Fake, "成功", "")], "unknown_line"),
        ([(lines[0], "成功", ""), (lines[0], "成功", "")], "duplicate_line"),
    ]
    for rows, code in cases:
        with pytest.raises(ValidationError) as exc:
            bank_return.import_return(
                batch, return_csv(batch, rows), file_name="r.csv", actor=users["town_finance"]
            )
        assert codes(exc.value) == {"lines": code}
    wrong = return_csv(batch, [(lines[0], "成功", "")]).replace(
        rules.yuan_text(lines[0].amount_fen).encode(), b"1.00"
    )
    with pytest.raises(ValidationError) as exc:
        bank_return.import_return(batch, wrong, file_name="r.csv", actor=users["town_finance"])
    assert codes(exc.value) == {"lines": "amount_mismatch"}
    with pytest.raises(ValidationError) as exc:
        bank_return.import_return(batch, b"garbage", file_name="r.csv", actor=users["town_finance"])
    assert codes(exc.value) == {"file": "bad_file"}
    assert balance_of(2022, BANK) == bank
    assert not batch.lines.exclude(state=LineState.PENDING).exists()


def test_cells_starting_with_formula_characters_are_neutralised():
    assert rules.neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert (
        rules.neutralise("+86") == "'+86"
        and rules.neutralise("-1") == "'-1"
        and rules.neutralise("@x") == "'@x"
    )
    assert rules.neutralise("王大山") == "王大山" and rules.neutralise(5) == 5
