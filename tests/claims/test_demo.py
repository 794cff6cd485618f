"""The demo step: 2022's claims in every state, decided by the seed rules, approved ones in the ledger as payables;
idempotent."""

from django.db.models import Sum

from mutualaid.claims.demo import SCENARIOS, demo_town_claims, to_recover
from mutualaid.claims.models import Claim, ClaimState, Decision
from mutualaid.claims_queue.models import QueueEntry
from mutualaid.enrolment import demo as enrolment_demo
from mutualaid.funds.ledger import balance_of
from mutualaid.project.demo import town_demo_steps
from tests.enrolment.conftest import XINSHENG_2022


def test_demo_step_is_registered():
    assert demo_town_claims in town_demo_steps()


def test_xinsheng_demo_has_claims_in_every_state(
    xinsheng, in_town, drg_catalogue, icd_catalogue, _media_in_tmp
):
    from mutualaid.policies.actions import apply_preset

    in_town(xinsheng)
    apply_preset("xinsheng-2022", None, publish=True)
    enrolment_demo.load_town("500152116", XINSHENG_2022, seed=3, people=900)
    demo_town_claims(xinsheng)
    demo_town_claims(xinsheng)  # idempotent
    assert Claim.objects.count() == len(SCENARIOS)
    # every state but recovered: the "recovered" scenario is paid here and recovered by payouts' demo step
    assert set(Claim.objects.values_list("state", flat=True)) == set(ClaimState.values) - {
        ClaimState.RECOVERED
    }
    ((claim, finding, day),) = to_recover()
    assert claim.state == ClaimState.PAID and finding.startswith("经核查") and day.year == 2023
    approved = Claim.objects.filter(state__in=("approved", "in_batch", "paid"))
    total = approved.aggregate(total=Sum("amount_fen"))["total"]
    owed = Claim.objects.filter(state__in=("approved", "in_batch")).aggregate(t=Sum("amount_fen"))["t"]
    assert balance_of(2022, "payable:subsidies") == owed
    assert balance_of(2022, "expense:subsidies") == total
    assert all(d.policy_version == 1 for d in Decision.objects.all())
    # Every decision is the seed rules' own unless a reviewer overrode it with a reason.
    for decision in Decision.objects.filter(outcome="approved"):
        assert decision.amount_fen == decision.computed_amount_fen or decision.override_reason
    assert QueueEntry.objects.filter(town=xinsheng).count() == 3  # submitted, resubmitted, in review
