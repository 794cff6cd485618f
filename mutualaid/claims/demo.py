"""Demo claims for the pilot towns: 2022's scheme year with claims in every state, filed and decided through the
action layer by the seed rules (the town's published 2022 policy), with the clock set to the dates they happened.
Approved ones are payables in the town's ledger; two are paid. The one whose scenario ends "recovered" (a
subsidy got by fraud) stops at paid here: recovery is the payouts domain's (a receivable from the member), so
payouts' demo step recovers it (``to_recover``), and the town has claims in every state once both steps ran. The
demo member login (``member``) belongs to 大公镇's first claimant's household (matched by phone).

Runs only where the ICD and DRG catalogues are loaded (the demo loads them from the reference data); idempotent: a
town that has claims is left alone.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from PIL import Image, ImageDraw

from mutualaid.claims import actions, application, selectors
from mutualaid.claims.models import Channel, Claim, ClaimState
from mutualaid.drg.models import CatalogueVersion, IcdCode
from mutualaid.enrolment.models import EnrolledMember
from mutualaid.funds.ledger import balance_of
from mutualaid.funds.postings import post_contribution
from mutualaid.platform import crypto
from mutualaid.platform.accounts.models import User
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.values import PolicyStatus

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
YUAN = 100
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass(frozen=True)
class Scenario:
    target: str  # the state the claim ends in
    total: int  # yuan
    paid: int  # yuan paid by insurance
    insurance: str = "resident"
    diagnoses: tuple[str, ...] = ("C34.900",)
    procedures: tuple[str, ...] = ()
    drg: str = "EB19"
    cause: str = "illness"
    hospital: str = "县人民医院"
    designated: bool = True
    override: tuple[int, str] | None = None  # (yuan, reason)
    reject_reason: str = ""
    extra: dict = field(default_factory=dict)


SCENARIOS = (
    Scenario("approved", 62000, 38000, procedures=("32.4100",), drg="EB19"),
    Scenario("approved", 21000, 12500, diagnoses=("I21.900",), procedures=("36.0600",), drg="FM19"),
    Scenario("approved", 9800, 0, insurance="none", diagnoses=("J18.900",), drg="ES31"),
    Scenario(
        "approved",
        48000,
        30000,
        diagnoses=("C16.900",),
        procedures=("43.9900",),
        drg="GB11",
        override=(
            12000,
            "主要手术为胃全部切除术，病组按 GB11 核定；费用清单中 6,000 元为目录外自费药品，按合规费用核定补助",
        ),
    ),
    Scenario("in_batch", 16000, 9500, diagnoses=("I63.900",), drg="BR25"),
    Scenario("paid", 36000, 22000, diagnoses=("M17.900",), procedures=("81.5400",), drg="IC29"),
    Scenario(
        "recovered",
        15000,
        9000,
        diagnoses=("K92.200",),
        drg="GS11",
        reject_reason="经核查住院票据系伪造，依方案追回补助并在全镇通报",
    ),
    Scenario(
        "rejected",
        5200,
        2400,
        diagnoses=("J44.100",),
        drg="ET25",
        reject_reason="医保报销后个人支付 2800.00 元，未达到 3500.00 元起付条件",
    ),
    Scenario(
        "rejected",
        28000,
        16000,
        diagnoses=("S72.000",),
        drg="IC29",
        cause="work_injury",
        reject_reason="工伤住院，属不补助的情况，请向工伤保险申请",
    ),
    Scenario(
        "rejected",
        19000,
        0,
        insurance="none",
        diagnoses=("I63.900",),
        drg="BR25",
        designated=False,
        hospital="某民营医院",
        reject_reason="非当地医保部门认定的定点医院",
    ),
    Scenario("in_review", 23000, 13000, diagnoses=("C50.900",), procedures=("85.4100",), drg="JA19"),
    Scenario(
        "more_info",
        17500,
        10000,
        diagnoses=("E11.900",),
        drg="KS11",
        reject_reason="住院费用清单照片不清晰，请重新拍摄上传",
    ),
    Scenario("resubmitted", 14000, 8200, diagnoses=("I63.900",), drg="BR25"),
    Scenario("submitted", 26000, 15000, diagnoses=("C34.900",), procedures=("99.2500",), drg="RE13"),
    Scenario("draft", 12000, 7000, diagnoses=("J18.900",), drg="ES33"),
)


def _photo(label: str) -> bytes:
    image = Image.new("RGB", (640, 480), (250, 250, 245))
    ImageDraw.Draw(image).text((40, 40), label, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _ready(policy: PolicyVersion) -> bool:
    codes = {c for s in SCENARIOS for c in s.diagnoses}
    known = set(IcdCode.objects.filter(kind="diagnosis", code__in=codes).values_list("code", flat=True))
    version = policy.drg_catalogue_version or actions.DEFAULT_DRG_VERSION
    return known == codes and CatalogueVersion.objects.filter(code=version).exists()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI)


def _user(username: str):
    return User.objects.filter(username=username).first()


def _data(s: Scenario, admitted: date, card: int) -> dict:
    own = s.total - s.paid
    return {
        "hospital_name": s.hospital,
        "hospital_level": "secondary",
        "hospital_designated": s.designated,
        "hospital_mainland": True,
        "admission_date": admitted,
        "discharge_date": admitted + timedelta(days=9),
        "inpatient": True,
        "cause": s.cause,
        "insurance_type": s.insurance,
        "total_cost_fen": s.total * YUAN,
        "insurance_paid_fen": s.paid * YUAN,
        "out_of_pocket_fen": own * YUAN,
        "diagnosis_codes": list(s.diagnoses),
        "procedure_codes": list(s.procedures),
        "bank_card": f"62284804{card:011d}",
        "bank_name": "农村商业银行",
    }


def _documents(claim: Claim, actor, *, complete: bool = True) -> None:
    application.upload_document(
        claim, "discharge_record", _photo("discharge record"), file_name="出院记录.jpg", actor=actor
    )
    if not complete:
        return
    application.upload_document(claim, "cost_list", PDF, file_name="住院费用清单.pdf", actor=actor)
    if claim.insurance_type != "none":
        application.upload_document(
            claim, "insurance_statement", _photo("insurance"), file_name="医保报销单.jpg", actor=actor
        )


def _play(claim: Claim, s: Scenario, filed: date, reviewer, admin, finance) -> None:
    """Take a filed claim through the workflow to its scenario's state, a few working days at a time."""
    if s.target == "draft":
        return
    with selectors.clock_at(_at(filed)):
        application.submit(claim, actor=None)
    if s.target == "submitted":
        return
    review_day = selectors.add_working_days(filed, 2)
    with selectors.clock_at(_at(review_day)):
        actions.start_review(claim, actor=reviewer)
        if s.target == "in_review":
            return
        if s.target in ("more_info", "resubmitted"):
            actions.request_info(claim, actor=reviewer, reason=s.reject_reason or "请补充住院费用清单第 2 页")
            if s.target == "more_info":
                return
    if s.target == "resubmitted":
        with selectors.clock_at(_at(selectors.add_working_days(review_day, 3))):
            application.upload_document(
                claim, "cost_list", PDF, file_name="住院费用清单（补）.pdf", actor=None
            )
            application.resubmit(claim, actor=None, note="已补拍费用清单")
        return
    decide_day = selectors.add_working_days(filed, 4)
    with selectors.clock_at(_at(decide_day)):
        if s.target == "rejected":
            actions.reject(claim, actor=reviewer, reason=s.reject_reason)
            return
        claim.refresh_from_db()
        # The grouper's group when it found one (the reviewer confirms it), else the reviewer's by hand.
        drg = None if claim.suggested_drg_code else s.drg
        if s.override:
            amount, reason = s.override
            actions.approve(
                claim, actor=reviewer, drg_code=drg, amount_fen=amount * YUAN, override_reason=reason
            )
        else:
            actions.approve(claim, actor=reviewer, drg_code=drg, note="材料齐全，符合补助条件")
    if s.target == "approved":
        return
    month_start = (decide_day.replace(day=1) + timedelta(days=32)).replace(day=1)
    with selectors.clock_at(_at(month_start)):
        actions.add_to_batch(claim, batch=month_start.strftime("%Y-%m"), actor=admin)
    if s.target == "in_batch":
        return
    paid_on = selectors.add_working_days(month_start, 3)
    with selectors.clock_at(_at(paid_on)):
        actions.mark_paid(
            claim, paid_on=paid_on, reference=f"BANK-{paid_on:%Y%m%d}-{claim.pk}", actor=finance
        )
    # "recovered": paid here; payouts' demo step recovers it (see ``to_recover``)


def to_recover() -> list[tuple[Claim, str, date]]:
    """The demo's claims whose scenario ends recovered and that are still paid, each with the scenario's finding
    and the day it is found out (40 days after payment), for payouts' demo step to recover (claims sits below
    payouts and does not recover). The demo's claims are the town's first ``len(SCENARIOS)``, in scenario order."""
    claims = list(Claim.objects.order_by("pk")[: len(SCENARIOS)])
    if len(claims) != len(SCENARIOS):
        return []
    found = []
    for s, claim in zip(SCENARIOS, claims, strict=True):
        if s.target != "recovered" or claim.state != ClaimState.PAID:
            continue
        paid = claim.events.filter(action="paid").order_by("-at").first()
        day = (paid.at.astimezone(SHANGHAI).date() if paid else claim.updated_at.date()) + timedelta(days=40)
        found.append((claim, s.reject_reason, day))
    return found


@transaction.atomic
def demo_town_claims(town) -> None:
    """Town demo step (inside the town's schema)."""
    if Claim.objects.exists():
        return
    policy = (
        PolicyVersion.objects.select_related("scheme_year")
        .filter(status=PolicyStatus.PUBLISHED, scheme_year__year=2022)
        .order_by("version")
        .first()
    )
    if policy is None or policy.coverage_start is None or not _ready(policy):
        logger.info("%s：缺少 2022 年度已发布政策或 ICD/DRG 目录，演示数据不含补助申请", town.name)
        return
    candidates = EnrolledMember.objects.filter(scheme_year=2022).exclude(member__phone_encrypted="")
    # Members spread over the town (every n-th), one claim each.
    step = max(1, min(7, candidates.count() // len(SCENARIOS)))
    enrolled = list(candidates.select_related("member").order_by("member_id")[: len(SCENARIOS) * step : step])
    if len(enrolled) < len(SCENARIOS):
        logger.info("%s：2022 年度参加人员不足，演示数据不含补助申请", town.name)
        return
    reviewer, admin, finance = _user("reviewer"), None, None
    # The bank must hold what is paid out: the demo's contributions are there; top up if a town has none yet.
    if balance_of(2022, "bank") < 200_000 * YUAN:
        with selectors.clock_at(_at(policy.coverage_start)):
            post_contribution(
                2022, {"town_finance": 200_000 * YUAN}, method="bank_transfer", reference="演示：镇财政拨付",
                memo="", actor=None, received_on=policy.coverage_start,
            )  # fmt: skip
    last_day = min(policy.coverage_end or date(2023, 10, 31), date(2023, 9, 30))
    for n, (s, enrolled_member) in enumerate(zip(SCENARIOS, enrolled, strict=False)):
        member = enrolled_member.member
        admitted = policy.coverage_start + timedelta(days=20 + 17 * n)
        admitted = min(admitted, last_day - timedelta(days=40))
        filed = selectors.add_working_days(admitted + timedelta(days=9), 3)
        channel = Channel.VILLAGE if s.insurance == "none" else Channel.SELF
        with selectors.clock_at(_at(filed, 9)):
            claim = application.create_claim(
                member, _data(s, admitted, 1000 + n), actor=None, channel=channel
            )
            _documents(claim, None, complete=s.target != "draft")
        _play(claim, s, filed, reviewer, admin, finance)
    # The demo member login follows the first claimant's household (by phone), so it sees their claims.
    first = enrolled[0].member
    member_user = User.objects.filter(username="member", role_assignments__town__code=town.code).first()
    if member_user is not None and not member_user.phone_hash:
        member_user.phone_hash = crypto.lookup_hash(crypto.decrypt(first.phone_encrypted))
        member_user.save(update_fields=["phone_hash"])
