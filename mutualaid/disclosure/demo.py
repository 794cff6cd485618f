"""Demo disclosures: 2022-09 to 2022-12 in each demo town, drafted from the ledger and published by the town admin
on the 2nd of the next month (the clock set to then). In 新胜镇 the demo member objects to a subsidy of the first
month that has one (an approved, unpaid one where there is one); the service firm's reviewer reopens the claim —
its payable is reversed and it goes back into review —, approves it again after the re-review, records the outcome,
and the next month's disclosure publishes the objection, the answer, the outcome and the reversal.

Idempotent: a town that has disclosures is left alone.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from mutualaid.claims import actions as claim_actions
from mutualaid.claims import selectors
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.disclosure import actions, rules
from mutualaid.disclosure import permissions as perms
from mutualaid.disclosure.models import Disclosure, PhoneCode
from mutualaid.platform import crypto
from mutualaid.platform.accounts.models import User
from mutualaid.platform.accounts.permissions import Target, has_permission

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
XINSHENG = "500152116"
DEMO_PHONE, DEMO_CODE = "13700000116", "246810"  # a villager of the demo (not a member's number)
MONTHS = (date(2022, 9, 1), date(2022, 10, 1), date(2022, 11, 1), date(2022, 12, 1))


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI)


def _user(username: str):
    return User.objects.filter(username=username).first()


def _objected_line(disclosure: Disclosure) -> dict:
    """The subsidy the demo objects to: one approved and not yet paid (so the re-review really reopens it), else
    the first."""
    lines = disclosure.content["subsidies"]
    states = dict(Claim.objects.filter(pk__in=[s["no"] for s in lines]).values_list("pk", "state"))
    return next((s for s in lines if states.get(s["no"]) == ClaimState.APPROVED), lines[0])


def _objection(town, disclosure: Disclosure) -> None:
    line = _objected_line(disclosure)
    member = _user("member")
    if member is not None and not has_permission(member, perms.OBJECT_SIGNED_IN, Target.town(town.code)):
        member = None  # the demo member login belongs to another town: a villager verifies a phone instead
    reviewer = _user("reviewer")
    published = disclosure.published_at.date() if disclosure.published_at else disclosure.month
    with selectors.clock_at(_at(published + timedelta(days=1))):
        if member is None:
            # The code the SMS would carry (the demo's villager reads it from `mutualaid sms outbox`).
            PhoneCode.objects.create(
                phone_hash=crypto.lookup_hash(DEMO_PHONE),
                code_hash=actions._code_hash(crypto.lookup_hash(DEMO_PHONE), DEMO_CODE),
                created_at=actions.now(),
                expires_at=actions.now() + rules.CODE_TTL,
            )
        objection = actions.submit_objection(
            disclosure,
            line["no"],
            "听说该户住院期间仍在外务工，住院情况可能不实，请核查。",
            user=member,
            phone=DEMO_PHONE if member is None else "",
            code=DEMO_CODE if member is None else "",
        )
    with selectors.clock_at(_at(published + timedelta(days=3))):
        actions.answer_objection(
            objection,
            reopen=True,
            answer="已受理，调取住院病历、费用清单并电话回访医院，重新审核该笔补助。",
            actor=reviewer,
        )
    claim = Claim.objects.get(pk=objection.claim_id)
    if (
        claim.state == ClaimState.IN_REVIEW
    ):  # reopened: payable reversed, back in the firm's queue; re-reviewed
        try:
            with transaction.atomic(), selectors.clock_at(_at(published + timedelta(days=8))):
                claim_actions.approve(
                    claim,
                    actor=reviewer,
                    note="公示异议重新审核：调取病历、费用清单并回访医院，住院真实，按原病组核定补助。",
                )
        except ValidationError as exc:  # the rules no longer approve it: it stays in review
            logger.info("%s：异议重新审核的申请 %s 未再次核准：%s", town.name, claim.pk, exc)
            return
    with selectors.clock_at(_at(published + timedelta(days=10))):
        actions.resolve_objection(
            objection,
            outcome="经重新审核：住院真实，费用与医保结算单一致，维持原补助金额。",
            actor=reviewer,
        )


@transaction.atomic
def demo_town_disclosures(town) -> None:
    """Town demo step (inside the town's schema)."""
    if Disclosure.objects.exists():
        return
    admin = _user(f"{town.slug}_admin")
    objected = False
    for month in MONTHS:
        publish_on = rules.next_month(month).replace(day=2)
        with selectors.clock_at(_at(publish_on, 9)):
            draft, _ = actions.generate_draft(month, actor=None)
        if not draft.reconciled:
            logger.warning("%s：%s 公示与台账核对不一致，未发布", town.name, draft.label)
            continue
        with selectors.clock_at(_at(publish_on, 15)):
            published = actions.publish(draft, actor=admin)
        if town.code == XINSHENG and not objected and month < MONTHS[-1] and published.content["subsidies"]:
            _objection(town, published)
            objected = True
    logger.info("%s：公示 2022-09 至 2022-12 已发布%s", town.name, "，含一件异议" if objected else "")
