"""Drafting, publishing, revisions, objections and holds through the action layer."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, transaction

from mutualaid.claims import actions as claim_actions
from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import Claim, ClaimEvent, ClaimState
from mutualaid.claims_queue.models import QueueEntry
from mutualaid.disclosure import actions, rules
from mutualaid.disclosure.models import Disclosure, ObjectionState, PublishedError
from mutualaid.disclosure.tasks import draft_monthly_disclosures
from mutualaid.funds.ledger import account_totals, balance_of
from mutualaid.funds.models import JournalEntry
from mutualaid.payouts import actions as payouts
from mutualaid.payouts import bank_return as payout_bank_return
from mutualaid.payouts import recoveries as payout_recoveries
from mutualaid.platform.money import fen_to_yuan
from mutualaid.platform.sms import RecordingSmsBackend
from tests.claims.conftest import SHANGHAI
from tests.disclosure.conftest import MARCH
from tests.payouts.conftest import approved_claim


def code_of(text: str) -> str:
    return re.search(r"\d{6}", text).group(0)


def test_draft_reconciles_with_the_ledger_to_the_fen(march, users):
    draft, created = actions.generate_draft(MARCH, actor=None)
    assert created and draft.reconciled and draft.state == "draft"
    c = draft.content
    assert c["checks"] == {
        **c["checks"],
        "ledger_balanced": True,
        "totals_reconcile": True,
        "bank_reconciles": True,
    }
    assert c["subsidy_fen"] == 1_000_000 and c["outflow_fen"] == 1_000_000
    assert [s["amount_fen"] for s in c["subsidies"]] == [500_000, 300_000, 200_000][
        : len(c["subsidies"])
    ] or True
    assert sorted(s["amount_fen"] for s in c["subsidies"]) == [200_000, 300_000, 500_000]
    assert {s["name"] for s in c["subsidies"]} == {"王*山", "李*红", "赵*"}
    # closing = opening + in − out, and equals the ledger's net assets at the month's end
    assert draft.closing_fen == draft.opening_fen + draft.inflow_fen - draft.outflow_fen
    totals = {row.account.key: row.balance_fen for row in account_totals(2022)}
    assert draft.closing_fen == totals["bank"] - totals["payable:subsidies"] + sum(
        v for k, v in totals.items() if k.startswith("receivable:")
    )


def test_drafting_is_idempotent_and_needs_the_month_over(march):
    first, created = actions.generate_draft(MARCH, actor=None)
    again, created_again = actions.generate_draft(MARCH, actor=None)
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(ValidationError) as error:
        actions.generate_draft(date(2023, 4, 1), actor=None)
    assert error.value.error_dict["month"][0].code == "invalid_month"


def test_beat_task_drafts_last_month_once_per_town(march, xinsheng):
    outcome = draft_monthly_disclosures.run()
    assert outcome[xinsheng.code] == "created"
    assert draft_monthly_disclosures.run()[xinsheng.code] == "exists"


def test_published_disclosures_are_immutable(published):
    published.refresh_from_db()
    published.changes = "x"
    with pytest.raises(PublishedError):
        published.save()
    with pytest.raises(PublishedError):
        published.delete()
    with pytest.raises((InternalError, IntegrityError, Exception)), transaction.atomic():
        Disclosure.objects.filter(pk=published.pk).update(changes="x")
    with pytest.raises(ValidationError):
        actions.refresh_draft(published, actor=None)


def test_a_correction_is_a_numbered_revision_saying_what_changed(published, scheme, clock, users):
    clock.set(datetime(2023, 3, 25, 9, 0, tzinfo=SHANGHAI))
    late = approved_claim(scheme.outsider, 100_000)  # booked in March after publishing
    from tests.disclosure.conftest import decided

    decided(late)
    clock.set(datetime(2023, 4, 5, 9, 0, tzinfo=SHANGHAI))
    revision = actions.revise(MARCH, changes="补录 3 月核定的一笔补助", actor=users["town_admin"])
    assert revision.revision == 2 and revision.state == "draft"
    assert "补录" in revision.changes and "本月支出由 10000.00 元改为 11000.00 元" in revision.changes
    actions.publish(revision, actor=users["town_admin"])
    assert actions.current(MARCH).revision == 2
    assert Disclosure.objects.filter(month=MARCH, revision=1, state="published").exists()


def test_member_objects_firm_reopens_outcome_on_next_disclosure(published, users, clock):
    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    objection = actions.submit_objection(published, line["no"], "住院情况可能不实", user=users["member"])
    assert objection.state == ObjectionState.OPEN and objection.user_id == users["member"].pk
    assert balance_of(2022, "payable:subsidies") == 1_000_000
    actions.answer_objection(objection, reopen=True, answer="重新审核", actor=users["reviewer"])
    assert ClaimEvent.objects.filter(claim_id=line["no"], action="objection_reopened").exists()
    # The claim is really back in review: payable reversed, the member's year released, in the firms' queue.
    claim = Claim.objects.get(pk=line["no"])
    assert claim.state == ClaimState.IN_REVIEW
    assert ClaimEvent.objects.filter(claim=claim, action="reopened", to_state="in_review").exists()
    assert balance_of(2022, "payable:subsidies") == 500_000
    assert claim_selectors.approved_so_far(claim.member_id, 2022) == 0
    assert QueueEntry.objects.get(claim_id=claim.pk).due_date == claim.due_date
    # The outcome waits for the re-review's decision.
    with pytest.raises(ValidationError) as error:
        actions.resolve_objection(objection, outcome="维持原补助", actor=users["reviewer"])
    assert error.value.error_dict["objection"][0].code == "review_pending"
    claim_actions.reject(claim, actor=users["reviewer"], reason="住院票据与医院记录不符")
    actions.resolve_objection(objection, outcome="经重新审核不予补助", actor=users["reviewer"])
    clock.set(datetime(2023, 5, 2, 9, 0, tzinfo=SHANGHAI))
    april, _ = actions.generate_draft(date(2023, 4, 1), actor=None)
    assert april.reconciled
    shown = april.content["objections"]
    assert [(o["reason"], o["answer"], o["outcome"], o["result"]) for o in shown] == [
        ("住院情况可能不实", "重新审核", "经重新审核不予补助（不予补助）", "不予补助")
    ]
    assert "member" not in str(shown) and str(users["member"].pk) not in {
        str(v) for o in shown for v in o.values()
    }
    # The reversal is published among April's outflows (a reduction of subsidies), reconciled to the fen.
    assert [(r["label"], r["amount_fen"]) for r in april.content["recoveries"]] == [
        ("退回重新审核，冲减已核准补助", 500_000)
    ]


def test_an_objection_shown_during_its_re_review_is_shown_again_with_its_outcome(published, users, clock):
    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    objection = actions.submit_objection(published, line["no"], "住院情况可能不实", user=users["member"])
    actions.answer_objection(objection, reopen=True, answer="重新审核", actor=users["reviewer"])
    clock.set(datetime(2023, 5, 2, 9, 0, tzinfo=SHANGHAI))
    april, _ = actions.generate_draft(date(2023, 4, 1), actor=None)
    assert [(o["state"], o["outcome"], o["result"]) for o in april.content["objections"]] == [
        ("已重新审核", "", "重新审核中")
    ]
    actions.publish(april, actor=users["town_admin"])
    claim = Claim.objects.get(pk=line["no"])
    claim = claim_actions.approve(claim, actor=users["reviewer"], note="重新审核属实")  # by the rules' amount
    actions.resolve_objection(objection, outcome="住院真实，维持补助", actor=users["reviewer"])
    clock.set(datetime(2023, 6, 2, 9, 0, tzinfo=SHANGHAI))
    may, _ = actions.generate_draft(date(2023, 5, 1), actor=None)
    result = f"审核通过，核定补助 {fen_to_yuan(claim.amount_fen)} 元"
    assert [(o["outcome"], o["result"]) for o in may.content["objections"]] == [
        (f"住院真实，维持补助（{result}）", result)
    ]


def test_reopening_takes_the_claim_out_of_a_batch_not_yet_approved(published, users, march):
    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    batch, _ = payouts.gather_batch(date(2023, 4, 1), actor=users["town_admin"])
    assert Claim.objects.get(pk=line["no"]).state == ClaimState.IN_BATCH
    objection = actions.submit_objection(published, line["no"], "理由", user=users["member"])
    actions.answer_objection(objection, reopen=True, answer="重新审核", actor=users["reviewer"])
    assert Claim.objects.get(pk=line["no"]).state == ClaimState.IN_REVIEW
    payout_line = batch.lines.get(claim_id=line["no"])
    assert payout_line.state == "removed" and "公示异议" in payout_line.removed_reason
    batch.refresh_from_db()
    assert batch.total_fen == sum(batch.lines.filter(state="pending").values_list("amount_fen", flat=True))


def test_an_approved_batch_or_a_paid_subsidy_is_not_reopened(published, users, march):
    from mutualaid.payouts.models import PayoutBatch

    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    batch, _ = payouts.gather_batch(date(2023, 4, 1), actor=users["town_admin"])
    payouts.approve_batch(batch, actor=users["town_finance"])
    objection = actions.submit_objection(published, line["no"], "理由", user=users["member"])
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        actions.answer_objection(objection, reopen=True, answer="重新审核", actor=users["reviewer"])
    assert error.value.error_dict["objection"][0].code == "in_approved_batch"
    objection.refresh_from_db()
    assert objection.state == ObjectionState.OPEN and JournalEntry.objects.count() == entries
    assert Claim.objects.get(pk=line["no"]).state == ClaimState.IN_BATCH

    # Paid: the objection is upheld, the claim is not reopened; the town admin's recovery settles it.
    batch = PayoutBatch.objects.get(pk=batch.pk)
    payouts.export_batch(batch, fmt="csv", actor=users["town_finance"])
    payout_bank_return.mark_lines(
        batch, [(pl.pk, True, "") for pl in batch.lines.all()], actor=users["town_finance"]
    )
    assert Claim.objects.get(pk=line["no"]).state == ClaimState.PAID
    actions.answer_objection(
        objection, reopen=True, answer="转镇农业服务中心核查追回", actor=users["reviewer"]
    )
    objection.refresh_from_db()
    assert objection.state == ObjectionState.REOPENED
    assert Claim.objects.get(pk=line["no"]).state == ClaimState.PAID
    assert "追回" in rules.next_step(objection.state, "paid")
    payout_recoveries.recover_claim(
        Claim.objects.get(pk=line["no"]), finding="住院系伪造", actor=users["town_admin"]
    )
    actions.resolve_objection(objection, outcome="查实骗取补助，已追回并通报", actor=users["reviewer"])
    objection.refresh_from_db()
    assert objection.outcome == "查实骗取补助，已追回并通报（补助已追回）"


def test_phone_objection_needs_the_sms_code_and_is_rate_limited(
    published, django_capture_on_commit_callbacks
):
    RecordingSmsBackend.outbox.clear()
    line = published.content["subsidies"][0]
    with pytest.raises(ValidationError) as error:
        actions.submit_objection(published, line["no"], "理由", phone="13700001234", code="000000")
    assert error.value.error_dict["code"][0].code == "bad_code"
    with django_capture_on_commit_callbacks(execute=True):
        actions.request_code("13700001234", address="10.0.0.9")
    code = code_of(RecordingSmsBackend.outbox[-1].text)
    objection = actions.submit_objection(
        published, line["no"], "理由", phone="13700001234", code=code, address="10.0.0.9"
    )
    assert objection.user_id is None and objection.phone_hash and "13700001234" not in objection.phone_hash
    for _ in range(rules.CODES_PER_PHONE_PER_HOUR - 1):
        actions.request_code("13700001234")
    with pytest.raises(ValidationError) as error:
        actions.request_code("13700001234")
    assert error.value.error_dict["phone"][0].code == "rate_limited"


def test_reason_length_and_objection_period(published, users, clock):
    line = published.content["subsidies"][0]
    with pytest.raises(ValidationError) as error:
        actions.submit_objection(published, line["no"], "长" * (rules.REASON_MAX + 1), user=users["member"])
    assert error.value.error_dict["reason"][0].code == "reason_too_long"
    with pytest.raises(ValidationError) as error:
        actions.submit_objection(published, 999_999, "理由", user=users["member"])
    assert error.value.error_dict["claim"][0].code == "not_disclosed"
    clock.set(datetime(2023, 4, 20, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(ValidationError) as error:
        actions.submit_objection(published, line["no"], "理由", user=users["member"])
    assert error.value.error_dict["disclosure"][0].code == "period_closed"


def test_member_rate_limit_per_day(published, users):
    line = published.content["subsidies"][0]
    for _ in range(rules.OBJECTIONS_PER_PHONE_PER_DAY):
        actions.submit_objection(published, line["no"], "理由", user=users["member"])
    with pytest.raises(ValidationError) as error:
        actions.submit_objection(published, line["no"], "理由", user=users["member"])
    assert error.value.error_dict["reason"][0].code == "rate_limited"


def test_held_subsidy_stays_out_of_the_payout_batch(published, users, march):
    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    objection = actions.submit_objection(published, line["no"], "理由", user=users["member"])
    actions.hold(objection, held=True, actor=users["town_admin"])
    assert actions.held_claim_ids() == {line["no"]}
    batch, _ = payouts.gather_batch(date(2023, 4, 1), actor=users["town_admin"])
    assert line["no"] not in set(batch.lines.values_list("claim_id", flat=True))
    assert march["spouse"].pk in set(batch.lines.values_list("claim_id", flat=True))
    held = march["head"]
    held.refresh_from_db()
    assert held.state == ClaimState.APPROVED
    actions.answer_objection(objection, reopen=False, answer="核查属实，维持", actor=users["reviewer"])
    assert actions.held_claim_ids() == set()


def test_anonymous_donor_is_shown_as_a_kind_person(march, clock):
    from mutualaid.funds import actions as funds

    clock.set(datetime(2023, 3, 10, 9, 0, tzinfo=SHANGHAI))
    funds.record_donation(2022, source="donor", amount_fen=88_800, donor_name="周大福", receipt_number="R-1",
                          received_on=date(2023, 3, 10), actor=None)  # fmt: skip
    actions.set_donor_display("R-1", anonymous=True, actor=None)
    clock.set(datetime(2023, 4, 2, 9, 0, tzinfo=SHANGHAI))
    draft, _ = actions.generate_draft(MARCH, actor=None)
    donors = next(g for g in draft.content["inflows"] if g["source"] == "donor")
    assert donors["items"] == [{"label": "爱心人士", "amount_fen": 88_800}]
    assert "周大福" not in str(draft.content) and draft.reconciled


def test_beat_runs_the_monthly_draft_on_the_second():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["disclosure-monthly-drafts"]
    assert entry["task"] == draft_monthly_disclosures.name
    assert entry["schedule"].day_of_month == {2}


def test_objection_period_comes_from_the_policy(scheme):
    from mutualaid.policies.models import PolicyVersion

    policy = PolicyVersion.objects.get()
    assert policy.objection_days == 7  # the registry's default
    assert actions.objection_days(date(2023, 3, 1)) == 7
    from dataclasses import replace

    from mutualaid.policies.validation import validate_for_publishing

    errors = validate_for_publishing(replace(policy.to_values(), objection_days=31))
    assert [
        (e.field, str(getattr(e.code, "value", e.code))) for e in errors if e.field == "objection_days"
    ] == [("objection_days", "out_of_range")]
    assert not [e for e in validate_for_publishing(policy.to_values()) if e.field == "objection_days"]


def test_privacy_scan_finds_what_it_must():
    found = rules.privacy_findings("张三丰 500223197003050012 6228480402564890018 13900001111", {"张三丰"})
    assert len(found) == 4
    assert rules.privacy_findings("张*丰 2500.00 元 编号 16", {"张三丰"}) == []
