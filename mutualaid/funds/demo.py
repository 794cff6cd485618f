"""Demo ledger content for the pilot towns (called by ``mutualaid.project.demo`` inside each town's schema).

Income other than persons' fees only: the enrolment demo posts the contributions. Idempotent: the step does
nothing when an entry carrying the demo reference prefix exists.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from mutualaid.funds import actions
from mutualaid.funds.models import JournalEntry
from mutualaid.policies.terms import FundingSource

MARKER = "demo:funds:2022"
HAIAN_TOWNS = {"320685107", "320685109"}  # 大公镇, 雅周镇
XINSHENG = "500152116"
YUAN = 100

HAIAN_DONATIONS = {
    "320685107": [
        (FundingSource.DONOR, 20_000, "顾*明（乡贤）", "苏财捐（2022）0107001", date(2022, 8, 8)),
        (FundingSource.ENTERPRISE, 50_000, "海安大公纺织有限公司", "苏财捐（2022）0107002", date(2022, 9, 1)),
    ],
    "320685109": [
        (FundingSource.DONOR, 10_000, "吴*华（乡贤）", "苏财捐（2022）0109001", date(2022, 8, 12)),
        (
            FundingSource.ENTERPRISE,
            30_000,
            "雅周现代农业发展有限公司",
            "苏财捐（2022）0109002",
            date(2022, 9, 6),
        ),
    ],
}


def _ref(n: int) -> str:
    return f"{MARKER}:{n}"


def _haian(code: str) -> None:
    actions.record_grant(
        2022,
        source=FundingSource.CHARITY,
        amount_fen=40_000 * YUAN,
        grantor="海安市老区开发促进会",
        received_on=date(2022, 6, 15),
        reference=_ref(1),
        memo="市老促会补助试点镇（海农〔2022〕92号）",
        actor=None,
    )
    actions.record_pledge(
        2022,
        source=FundingSource.GOVERNMENT_GRANT,
        amount_fen=250_000 * YUAN,
        grantor="海安市农业农村局",
        pledged_on=date(2022, 5, 12),
        reference=_ref(2),
        memo="市农业农村局补助，2023 年上半年拨付到位（海农〔2022〕92号）",
        actor=None,
    )
    actions.record_advance(
        2022,
        town_fen=150_000 * YUAN,
        village_fen=100_000 * YUAN,
        received_on=date(2022, 6, 30),
        reference=_ref(3),
        memo="2022 年由镇、村先预垫市农业农村局补助资金",
        actor=None,
    )
    for n, (source, amount, donor, receipt, on) in enumerate(HAIAN_DONATIONS[code], start=4):
        actions.record_donation(
            2022,
            source=source,
            amount_fen=amount * YUAN,
            donor_name=donor,
            receipt_number=receipt,
            received_on=on,
            reference=_ref(n),
            actor=None,
        )
    actions.record_interest(
        2022, amount_fen=386_52, received_on=date(2022, 12, 21), reference=_ref(9), actor=None
    )


def _xinsheng() -> None:
    actions.record_donation(
        2022,
        source=FundingSource.CHARITY,
        amount_fen=30_000 * YUAN,
        donor_name="潼南区慈善会",
        receipt_number="渝财捐（2022）0116001",
        received_on=date(2022, 10, 25),
        reference=_ref(1),
        memo="社会慈善组织补助互助费（每人 20 元中的慈善部分）",
        actor=None,
    )
    actions.record_interest(
        2022, amount_fen=128_40, received_on=date(2022, 12, 21), reference=_ref(2), actor=None
    )


@transaction.atomic
def demo_town_funds(town) -> None:
    if town.code not in HAIAN_TOWNS and town.code != XINSHENG:
        return
    if JournalEntry.objects.filter(reference__startswith=MARKER).exists():
        return
    if town.code in HAIAN_TOWNS:
        _haian(town.code)
    else:
        _xinsheng()
