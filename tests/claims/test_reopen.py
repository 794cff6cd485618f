"""Reopening an approved claim into review (a disclosure objection upheld by the service firm): the payable and
expense reversed by a reversal entry (the approval's entry untouched), the member's yearly total released, back
in the firms' queue with a fresh due date, an event and an audit record; then the ordinary review decides again.
A claim in a payout batch, paid, or not approved is refused with a typed error and nothing written."""

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError

from mutualaid.claims import actions, application, reopening, selectors
from mutualaid.claims.models import Claim, ClaimEvent, ClaimState, Decision, SmsNotice
from mutualaid.claims_queue.models import QueueEntry
from mutualaid.funds.ledger import balance_of
from mutualaid.funds.models import EntryKind, JournalEntry
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.platform.audit.models import AuditEvent
from tests.claims.conftest import SHANGHAI, complete, stay_data
from tests.claims.test_actions import code_of, reviewed


def approved(scheme, users):
    claim = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    reviewed(claim, users)
    return actions.approve(claim, actor=users["reviewer"], drg_code="EB19")


def snapshot(claim):
    claim.refresh_from_db()
    return (
        claim.state,
        claim.amount_fen,
        JournalEntry.objects.count(),
        ClaimEvent.objects.filter(claim=claim).count(),
        selectors.approved_so_far(claim.member_id, claim.scheme_year),
    )


def test_an_approved_claim_goes_back_into_review_with_its_payable_reversed(scheme, users, clock):
    claim = approved(scheme, users)
    approval_entry = JournalEntry.objects.get(pk=Decision.objects.get(claim=claim).journal_entry_id)
    assert balance_of(2022, "payable:subsidies") == 1_200_000
    assert selectors.approved_so_far(scheme.head.pk, 2022) == 1_200_000
    clock.set(datetime(2023, 4, 10, 9, 0, tzinfo=SHANGHAI))  # a Monday

    claim = reopening.reopen_claim(
        claim, actor=users["reviewer"], reason="公示异议：住院情况待核实", objection=7
    )

    assert claim.state == ClaimState.IN_REVIEW and claim.amount_fen is None and claim.decided_at is None
    # A reversal entry, never an edit: the approval's entry stands, the reversal refers to it.
    reversal = JournalEntry.objects.get(kind=EntryKind.REVERSAL, reference=f"claim:{claim.pk}")
    assert reversal.reverses_id == approval_entry.pk and reversal.total_fen == 1_200_000
    assert reversal.entry_date == date(2023, 4, 10) and "重新审核" in reversal.reason
    assert JournalEntry.objects.get(pk=approval_entry.pk).total_fen == 1_200_000
    assert balance_of(2022, "payable:subsidies") == 0 and balance_of(2022, "expense:subsidies") == 0
    assert selectors.approved_so_far(scheme.head.pk, 2022) == 0
    # Back in the firms' queue with a fresh due date (five working days from 10 April).
    entry = QueueEntry.objects.get(claim_id=claim.pk)
    assert (entry.state, entry.due_date) == ("in_review", date(2023, 4, 17)) == ("in_review", claim.due_date)
    event = ClaimEvent.objects.filter(claim=claim).last()
    assert (event.action, event.from_state, event.to_state) == ("reopened", "approved", "in_review")
    assert event.actor_id == users["reviewer"].pk and event.data["objection"] == 7
    assert AuditEvent.objects.filter(action="claims.reopened", object_id=str(claim.pk)).exists()
    assert "重新审核" in SmsNotice.objects.filter(claim=claim).latest("pk").text

    # The ordinary review decides again: approved anew, a new accrual and a new decision.
    claim = actions.approve(claim, actor=users["reviewer"], note="重新审核属实")
    assert claim.state == ClaimState.APPROVED and claim.amount_fen == 1_200_000
    assert Decision.objects.filter(claim=claim).count() == 2
    assert balance_of(2022, "payable:subsidies") == 1_200_000
    assert selectors.approved_so_far(scheme.head.pk, 2022) == 1_200_000
    assert not QueueEntry.objects.filter(claim_id=claim.pk).exists()


def test_only_an_approved_unpaid_claim_is_reopened(scheme, users):
    from mutualaid.funds.postings import post_contribution

    post_contribution(2022, {"person": 5_000_000}, method="cash", reference="fees", memo="", actor=None)
    claim = approved(scheme, users)
    with pytest.raises(ValidationError) as refused:
        reopening.reopen_claim(claim, actor=users["reviewer"], reason="  ")
    assert code_of(refused.value) == ("reason", "reason_required")

    claim = actions.add_to_batch(claim, batch="2023-04", actor=users["town_admin"])
    before = snapshot(claim)
    with pytest.raises(ValidationError) as refused:
        reopening.reopen_claim(claim, actor=users["reviewer"], reason="异议")
    assert code_of(refused.value) == ("claim", "in_batch") and "移出批次" in refused.value.messages[0]
    assert snapshot(claim) == before

    claim = actions.mark_paid(claim, paid_on=date(2023, 4, 3), reference="B1", actor=users["town_finance"])
    before = snapshot(claim)
    with pytest.raises(ValidationError) as refused:
        reopening.reopen_claim(claim, actor=users["reviewer"], reason="异议")
    assert code_of(refused.value) == ("claim", "already_paid") and "追回" in refused.value.messages[0]
    assert snapshot(claim) == before

    draft = application.create_claim(scheme.spouse, stay_data(), actor=users["member"])
    with pytest.raises(ValidationError) as refused:
        reopening.reopen_claim(draft, actor=users["reviewer"], reason="异议")
    assert code_of(refused.value) == ("state", "wrong_state")


def test_a_list_approvals_shared_voucher_is_referred_to_not_reversed_whole(scheme, users):
    claims = []
    for member in (scheme.head, scheme.spouse):
        claim = complete(application.create_claim(member, stay_data(), actor=users["member"]))
        claims.append(reviewed(claim, users))
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(drg_code="EB19")
    done, left = actions.approve_many(claims, actor=users["reviewer"])
    assert len(done) == 2 and not left
    total = balance_of(2022, "payable:subsidies")
    first = done[0]
    first.refresh_from_db()
    amount = first.amount_fen
    reopening.reopen_claim(first, actor=users["reviewer"], reason="公示异议")
    reversal = JournalEntry.objects.get(kind=EntryKind.REVERSAL)
    assert reversal.reverses_id is None and reversal.total_fen == amount
    assert balance_of(2022, "payable:subsidies") == total - amount


def test_who_may_reopen_is_the_firms_reviewer(scheme, users):
    from mutualaid.claims.permissions import REOPEN_CLAIMS

    target = Target.town(scheme.town.code)
    assert has_permission(users["reviewer"], REOPEN_CLAIMS, target)
    for role in ("town_admin", "town_finance", "member", "other_firm_reviewer"):
        assert not has_permission(users[role], REOPEN_CLAIMS, target), role
