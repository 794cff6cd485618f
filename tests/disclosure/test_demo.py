"""The demo: 新胜镇, 大公镇 and 雅周镇 publish disclosures for 2022-09 to 2022-12 that reconcile with their ledgers to the fen
(recomputed here with the ledger's own aggregates); 新胜镇 has an objection that led to a re-review, shown on the
next month's disclosure; every public output passes the privacy scan; the village PDF is kept for a look as an
image (``DISCLOSURE_PDF_OUT``)."""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.db.models import Q, Sum

from mutualaid.claims.demo import demo_town_claims
from mutualaid.claims.models import Claim, ClaimEvent, Decision
from mutualaid.disclosure import rules
from mutualaid.disclosure.demo import MONTHS, demo_town_disclosures
from mutualaid.disclosure.models import Disclosure, Objection
from mutualaid.disclosure.rules import privacy_findings
from mutualaid.enrolment import demo as enrolment_demo
from mutualaid.funds.chart import AccountKind
from mutualaid.funds.demo import demo_town_funds
from mutualaid.funds.models import SYSTEM_KINDS, EntryKind, JournalEntry, JournalLine
from mutualaid.payouts.demo import demo_town_payouts
from mutualaid.platform.accounts.models import User
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.money import fen_to_yuan
from mutualaid.project.demo import town_demo_steps
from tests.disclosure.test_pages import full_names, public_outputs
from tests.enrolment.conftest import HAIAN_2022, XINSHENG_2022
from tests.factories import make_user


def signed(kind: str, month: date, *, until: bool = False) -> int:
    """Σ lines of one account kind toward its normal side, in the month (or up to its end)."""
    end = rules.month_end(month)
    lines = JournalLine.objects.filter(account__kind=kind, entry__entry_date__lte=end)
    if not until:
        lines = lines.filter(entry__entry_date__gte=month).exclude(entry__kind__in=SYSTEM_KINDS)
    totals = lines.aggregate(
        d=Sum("amount_fen", filter=Q(side="debit")), c=Sum("amount_fen", filter=Q(side="credit"))
    )
    debit, credit = totals["d"] or 0, totals["c"] or 0
    return debit - credit if kind in (AccountKind.ASSET, AccountKind.EXPENSE) else credit - debit


def load(town, preset: str, terms) -> None:
    from mutualaid.policies.actions import apply_preset
    from mutualaid.tenants.models import ServiceFirm

    apply_preset(preset, None, publish=True)
    enrolment_demo.load_town(town.code, terms, seed=3, people=600)
    firm, _ = ServiceFirm.objects.get_or_create(name="演示服务机构")
    firm.towns.add(town)
    if not User.objects.filter(username="reviewer").exists():
        reviewer = make_user(Role.FIRM_REVIEWER, firm=firm)
        reviewer.username = "reviewer"
        reviewer.save()
    member = make_user(Role.MEMBER, town=town)
    member.username = f"member_{town.code}"
    member.save()
    for step in (demo_town_funds, demo_town_claims, demo_town_payouts):
        step(town)


def test_demo_step_is_registered():
    assert demo_town_disclosures in town_demo_steps()


@pytest.mark.parametrize(
    "code,preset,terms",
    [
        ("500152116", "xinsheng-2022", XINSHENG_2022),
        ("320685107", "haian-2022", HAIAN_2022),
        ("320685109", "haian-2022", HAIAN_2022),
    ],
)
def test_demo_months_reconcile_and_are_clean(
    towns, in_town, drg_catalogue, icd_catalogue, _media_in_tmp, code, preset, terms, monkeypatch
):
    town = towns[code]
    in_town(town)
    load(town, preset, terms)
    from mutualaid.disclosure import demo

    # The demo's member login is named ``member``; here each town has its own.
    monkeypatch.setattr(
        demo,
        "_user",
        lambda name: User.objects.filter(username=f"member_{code}" if name == "member" else name).first(),
    )
    demo_town_disclosures(town)
    demo_town_disclosures(town)  # idempotent
    published = {d.month: d for d in Disclosure.objects.published()}
    assert sorted(published) == list(MONTHS) and Disclosure.objects.count() == 4
    previous = None
    for month in MONTHS:
        d = published[month]
        c = d.content
        assert d.reconciled and all(
            c["checks"][k] for k in ("ledger_balanced", "totals_reconcile", "bank_reconciles")
        )
        assert c["checks"]["subsidy_details_complete"], month
        # to the fen, against the ledger's own aggregates
        assert d.inflow_fen == signed(AccountKind.INCOME, month)
        assert d.outflow_fen == signed(AccountKind.EXPENSE, month)
        closing = signed(AccountKind.ASSET, month, until=True) - signed(
            AccountKind.LIABILITY, month, until=True
        )
        assert d.closing_fen == closing
        assert sum(i["amount_fen"] for g in c["inflows"] for i in g["items"]) == d.inflow_fen
        assert d.closing_fen == d.opening_fen + d.inflow_fen - d.outflow_fen + c["transfers_fen"]
        if previous is not None:
            assert d.opening_fen == previous.closing_fen
        previous = d
    assert any(published[m].content["subsidies"] for m in MONTHS)
    names = full_names()
    for month in MONTHS:
        for key, text in public_outputs(town, published[month]).items():
            assert privacy_findings(text, names) == [], (month, key)
    if code == "500152116":
        objection = Objection.objects.get()
        assert objection.state == "resolved" and objection.user_id is not None
        assert ClaimEvent.objects.filter(claim_id=objection.claim_id, action="objection_reopened").exists()
        # The re-review was real: the approved, unpaid claim went back into review (its payable reversed by a
        # reversal entry) and was approved again by the rules.
        claim = Claim.objects.get(pk=objection.claim_id)
        actions = list(ClaimEvent.objects.filter(claim=claim).values_list("action", "to_state"))
        reopened = actions.index(("reopened", "in_review"))
        assert ("approved", "approved") in actions[reopened:] and claim.state in ("approved", "in_batch")
        reversal = JournalEntry.objects.get(kind=EntryKind.REVERSAL, reference=f"claim:{claim.pk}")
        assert Decision.objects.filter(claim=claim, outcome="approved").count() == 2
        later = [published[m] for m in MONTHS if m > objection.disclosure.month]
        shown = later[0].content
        assert later and shown["objections"][0]["outcome"].startswith("经重新审核")
        assert shown["objections"][0]["outcome"].endswith(
            f"（审核通过，核定补助 {fen_to_yuan(claim.amount_fen)} 元）"
        )
        assert ("退回重新审核，冲减已核准补助", reversal.total_fen) in [
            (r["label"], r["amount_fen"]) for r in shown["recoveries"]
        ]
        assert claim.pk in [s["no"] for s in shown["subsidies"]]  # approved again, disclosed again
        assert str(objection.user_id) not in str(later[0].content["objections"])
    out = os.environ.get("DISCLOSURE_PDF_OUT")
    if out:
        from django.test import Client

        month = next(m for m in MONTHS if published[m].content["subsidies"])
        village = published[month].content["subsidies"][0]["village_code"]
        pdf = Client().get(f"/t/{town.code}/disclosure/{month:%Y-%m}/village/{village}.pdf")
        with open(os.path.join(out, f"{code}-{month:%Y-%m}-{village}.pdf"), "wb") as f:
            f.write(pdf.content)
