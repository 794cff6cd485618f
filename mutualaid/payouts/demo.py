"""Demo payout batches: November and December 2022 in each demo town, through the action layer with the clock set
to the dates they happened.

A few more claims are filed and approved in October and November 2022 (by the claims domain's demo helpers, the
town's published 2022 policy) so both months have lines where the policy's coverage allows it (新胜镇's coverage
starts on 1 November, so its November batch is empty). Each batch is prepared by the town admin on the 1st,
approved by town finance, exported to the bank, and the bank's return recorded with one line returned (it goes to
the next batch with its reason). A town without a finance user (雅周镇) keeps its batches prepared, waiting for
approval. In 新胜镇 a paid subsidy is recovered for fraud with a town-wide notice and a first repayment (the
receivable in the ledger, the rest still owed). In every town the claims demo's "recovered" scenario (paid by the
claims step, ``claims.demo.to_recover``) is recovered here the same way, so each town has claims in every state
and every recovery is a receivable (claims has no recovery of its own).

The service firm's fee follows the town's policy (``service_fee_from_fund``): 新胜镇's document pays the firm from
the fund (三（三）), so November's fee (the policy's share of the year's income so far, by the month) is accrued on
30 November and settled in December's batch beside the subsidies; 海安's towns pay the firm from the town's budget,
so their fund books no fee and their batches hold subsidies only.

Idempotent: a town that has payout batches is left alone.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from mutualaid.claims import application as claim_application
from mutualaid.claims import selectors
from mutualaid.claims.demo import (
    SCENARIOS,
    Scenario,
    _at,
    _data,
    _documents,
    _play,
    _ready,
    _user,
    to_recover,
)
from mutualaid.claims.models import Channel, Claim, ClaimState
from mutualaid.enrolment.models import EnrolledMember
from mutualaid.funds import actions as fund_actions
from mutualaid.funds import ledger
from mutualaid.payouts import actions, bank_return, recoveries, rules
from mutualaid.payouts.models import BatchState, LineState, PayoutBatch
from mutualaid.policies.design_fund import service_fee_fen
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.values import PolicyStatus

logger = logging.getLogger(__name__)
XINSHENG = "500152116"
# Admission dates of the extra claims: approved in October (November's batch) and November (December's).
ADMISSIONS = (date(2022, 10, 3), date(2022, 10, 8), date(2022, 10, 12), date(2022, 11, 2), date(2022, 11, 6),
              date(2022, 11, 9))  # fmt: skip
RETURN_REASONS = ("户名与卡号不符", "账户已销户")


def _extra_claims(policy: PolicyVersion) -> None:
    claimants = set(Claim.objects.values_list("member_id", flat=True))
    candidates = [
        e.member
        for e in EnrolledMember.objects.filter(scheme_year=2022)
        .exclude(member__phone_encrypted="")
        .select_related("member")
        .order_by("-member_id")[:60]
        if e.member_id not in claimants
    ]
    scenarios = [s for s in SCENARIOS if s.target == "approved" and not s.override]
    reviewer = _user("reviewer")
    for n, admitted in enumerate(ADMISSIONS):
        if not candidates or policy.coverage_start is None or admitted < policy.coverage_start:
            continue
        member = candidates.pop(0)
        base = scenarios[n % len(scenarios)]
        s = Scenario(
            "approved", base.total, base.paid, base.insurance, base.diagnoses, base.procedures, base.drg
        )
        filed = selectors.add_working_days(admitted + timedelta(days=5), 1)
        try:  # a member the rules do not cover (unpaid, excluded) is skipped, never the whole demo
            with transaction.atomic():
                with selectors.clock_at(_at(filed, 9)):
                    claim = claim_application.create_claim(
                        member, _data(s, admitted, 3000 + n), actor=None, channel=Channel.SELF
                    )
                    _documents(claim, None)
                _play(claim, s, filed, reviewer, None, None)
        except ValidationError as exc:
            logger.info("演示补助申请未核准（成员 %s）：%s", member.pk, exc)


def _month(month: date, admin, finance, returned: int) -> PayoutBatch | None:
    with selectors.clock_at(_at(month, 9)):
        batch, _ = actions.gather_batch(month, actor=admin)
    if finance is None or batch.line_count == 0:
        return batch
    with selectors.clock_at(_at(month + timedelta(days=1), 10)):
        actions.approve_batch(batch, actor=finance)
    exported_on = selectors.add_working_days(month, 2)
    with selectors.clock_at(_at(exported_on, 10)):
        batch, _ = actions.export_batch(batch, fmt="xlsx", actor=finance)
    lines = list(batch.lines.filter(state=LineState.PENDING).order_by("pk"))
    rows = ["流水号,户名,金额,状态,失败原因"]
    for i, line in enumerate(lines):
        status = (
            f"失败,{RETURN_REASONS[i % len(RETURN_REASONS)]}" if i < returned and line.claim_id else "成功,"
        )
        rows.append(
            f"{rules.line_reference(batch.month, line.pk)},{line.payee_name},{rules.yuan_text(line.amount_fen)},{status}"
        )
    with selectors.clock_at(_at(selectors.add_working_days(exported_on, 3), 15)):
        batch = bank_return.import_return(
            batch, "\n".join(rows).encode("gb18030"), file_name="回盘.csv", actor=finance
        )
    return batch


def _november_service_fee(town, policy: PolicyVersion, actor) -> None:
    """The firm's November fee, accrued in the fund where the policy pays it from the fund (else nothing)."""
    accrued_on = date(2022, 11, 30)
    if not fund_actions.service_fee_from_fund(2022, accrued_on):
        logger.info("%s：第三方服务费由镇财政预算支付，不记入互助资金", town.name)
        return
    yearly = service_fee_fen(
        policy.service_fee_kind,
        policy.service_fee_bp,
        policy.service_fee_per_person_fen,
        ledger.year_summary(2022).income_fen,
        EnrolledMember.objects.filter(scheme_year=2022).count(),
    )
    if yearly // 12 <= 0:
        return
    fund_actions.accrue_expense(
        2022,
        expense="service_fees",
        amount_fen=yearly // 12,
        incurred_on=accrued_on,
        payee="第三方专业服务机构",
        reference="demo:payouts:service_fee:2022-11",
        memo="2022年11月第三方服务费（按政策从互助资金支付，按月计提）",
        actor=actor,
    )


def _recover_scenario_claims(admin) -> None:
    """The claims demo's paid claims whose scenario ends recovered, recovered by the town admin on the day the
    fraud is found out (idempotent: a recovered claim is no longer listed)."""
    for claim, finding, day in to_recover():
        with selectors.clock_at(_at(day)):
            recoveries.recover_claim(claim, finding=finding, actor=admin)


@transaction.atomic
def demo_town_payouts(town) -> None:
    """Town demo step (inside the town's schema)."""
    if PayoutBatch.objects.exists():
        # a demo made before recoveries were ledger receivables: book what its recovery still owes
        recoveries.book_unbooked_recoveries(actor=None)
        _recover_scenario_claims(_user(f"{town.slug}_admin"))
        return
    policy = (
        PolicyVersion.objects.select_related("scheme_year")
        .filter(status=PolicyStatus.PUBLISHED, scheme_year__year=2022)
        .order_by("version")
        .first()
    )
    if policy is None or not Claim.objects.exists() or not _ready(policy):
        logger.info("%s：没有补助申请，演示数据不含发放批次", town.name)
        return
    _extra_claims(policy)
    admin = _user(f"{town.slug}_admin")
    finance = _user(f"{town.slug}_finance")
    _recover_scenario_claims(admin)
    november = _month(date(2022, 11, 1), admin, finance, returned=1)
    _november_service_fee(town, policy, finance or admin)
    december = _month(date(2022, 12, 1), admin, finance, returned=1)
    logger.info(
        "%s：发放批次 2022-11 %s、2022-12 %s",
        town.name,
        november and november.get_state_display(),
        december and december.get_state_display(),
    )
    if town.code != XINSHENG or december is None or december.state != BatchState.SETTLED:
        return
    paid = december.lines.filter(state=LineState.PAID, claim_id__isnull=False).order_by("pk").first()
    if paid is None or paid.claim_id is None:
        return
    claim = Claim.objects.get(pk=paid.claim_id)
    if claim.state != ClaimState.PAID:
        return
    with selectors.clock_at(_at(date(2023, 1, 10))):
        recovery = recoveries.recover_claim(
            claim,
            finding="经镇农业服务中心会同医院核查，所附住院费用清单系伪造，实际未发生住院",
            actor=admin,
        )
    if finance is not None:
        with selectors.clock_at(_at(date(2023, 1, 20))):
            recoveries.record_repayment(
                recovery,
                amount_fen=max(recovery.amount_fen // 2, 1),
                paid_on=date(2023, 1, 20),
                actor=finance,
            )
