"""The demo step: November and December 2022 batches through prepare → approve → export → return (some lines
returned, carried to the next batch), printable, balanced against the ledger; a recovered claim in 新胜镇 with its
notice; idempotent."""

from __future__ import annotations

import pytest

from mutualaid.claims.demo import demo_town_claims, to_recover
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.enrolment import demo as enrolment_demo
from mutualaid.funds.chart import BANK, EXPENSE_SERVICE_FEES, MEMBER_RECEIVABLE, PAYABLE_SERVICE_FEES
from mutualaid.funds.ledger import account_totals, balance_of
from mutualaid.funds.models import EntryKind, JournalEntry, JournalLine
from mutualaid.payouts import actions, exports, recoveries
from mutualaid.payouts.demo import demo_town_payouts
from mutualaid.payouts.models import (
    BatchState,
    LineKind,
    LineState,
    PayoutBatch,
    PayoutLine,
    Recovery,
    TownNotice,
)
from mutualaid.platform.accounts.models import User
from mutualaid.project.demo import town_demo_steps
from tests.enrolment.conftest import HAIAN_2022, XINSHENG_2022


def test_demo_step_is_registered_after_the_claims_step():
    steps = town_demo_steps()
    assert steps.index(demo_town_payouts) > steps.index(demo_town_claims)


def _check_balanced() -> None:
    totals = account_totals(2022)
    assert sum(t.debit_fen for t in totals) == sum(t.credit_fen for t in totals)
    for batch in PayoutBatch.objects.all():
        figures = actions.batch_consistency(batch)
        assert figures["total_fen"] == figures["lines_fen"]
        if batch.state in (BatchState.EXPORTED, BatchState.SETTLED):
            assert figures["paid_out_fen"] == figures["total_fen"]
            assert figures["back_fen"] == figures["not_paid_fen"]


@pytest.mark.parametrize(
    "town_fixture, preset, terms",
    [("xinsheng", "xinsheng-2022", XINSHENG_2022), ("dagong", "haian-2022", HAIAN_2022)],
)
def test_demo_batches(
    request, town_fixture, preset, terms, in_town, drg_catalogue, icd_catalogue, _media_in_tmp
):
    from mutualaid.policies.actions import apply_preset

    town = request.getfixturevalue(town_fixture)
    in_town(town)
    User.objects.get_or_create(username=f"{town.slug}_admin")
    User.objects.get_or_create(username=f"{town.slug}_finance")
    User.objects.get_or_create(username="reviewer")
    apply_preset(preset, None, publish=True)
    enrolment_demo.load_town(town.code, terms, seed=3, people=900)
    demo_town_claims(town)
    demo_town_payouts(town)
    demo_town_payouts(town)  # idempotent
    months = {b.month.isoformat(): b for b in PayoutBatch.objects.all()}
    assert set(months) == {"2022-11-01", "2022-12-01"}
    december = months["2022-12-01"]
    assert december.state == BatchState.SETTLED
    assert december.lines.filter(state=LineState.RETURNED).exists()
    assert exports.summary_pdf(december).startswith(b"%PDF")
    # every state in the town: the claims demo's "recovered" scenario recovered here, as a receivable
    assert set(Claim.objects.values_list("state", flat=True)) == set(ClaimState.values)
    assert to_recover() == []
    recovered = list(Recovery.objects.order_by("pk"))
    assert len(recovered) == (2 if town_fixture == "xinsheng" else 1)
    assert recovered[0].finding.startswith("经核查住院票据系伪造")
    for recovery in recovered:
        figures = recoveries.recovery_consistency(recovery)
        assert figures["booked_fen"] == figures["amount_fen"] > 0
    assert balance_of(2022, MEMBER_RECEIVABLE) == sum(r.outstanding_fen for r in recovered)
    booked = JournalEntry.objects.filter(kind=EntryKind.SUBSIDY_RECOVERY)
    assert booked.count() == len(recovered)
    assert not JournalLine.objects.filter(entry__in=booked, account__key=BANK).exists()
    if town_fixture == "dagong":
        november = months["2022-11-01"]
        assert november.state == BatchState.SETTLED
        returned = november.lines.get(state=LineState.RETURNED)
        assert december.lines.get(claim_id=returned.claim_id).carried_reason == returned.return_reason
        # 海安: the town's budget pays the firm — no fee in the fund, none in the batches
        assert not PayoutLine.objects.filter(kind=LineKind.SERVICE_FEE).exists()
        assert balance_of(2022, EXPENSE_SERVICE_FEES) == balance_of(2022, PAYABLE_SERVICE_FEES) == 0
    else:
        recovery = Recovery.objects.get(repaid_fen__gt=0)  # December's, partly repaid
        assert TownNotice.objects.get(recovery=recovery).title.startswith("关于追回")
        figures = recoveries.recovery_consistency(recovery)
        assert figures["outstanding_fen"] == figures["receivable_fen"] > 0
        # 新胜镇: the fund pays the firm — November's fee settled in December's batch
        fee = december.lines.get(kind=LineKind.SERVICE_FEE)
        assert fee.state == LineState.PAID and balance_of(2022, EXPENSE_SERVICE_FEES) == fee.amount_fen
        assert balance_of(2022, PAYABLE_SERVICE_FEES) == 0
    _check_balanced()
