"""Fixtures for payouts: 新胜镇 (the claims fixtures: policy, villages, households), approved claims booked in the
ledger (expense / payable) as the claims domain books them, money in the bank, and the clock on 1 April 2023."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.db import transaction

from mutualaid.claims.models import Claim, ClaimState, MemberYearTotal
from mutualaid.funds import ledger
from mutualaid.funds.chart import BANK, EXPENSE_SUBSIDIES, PAYABLE_SUBSIDIES, income
from mutualaid.funds.models import EntryKind
from mutualaid.platform import crypto
from tests.claims.conftest import (  # noqa: F401 - fixtures
    SHANGHAI,
    _media_in_tmp,
    clock,
    icd_catalogue,
    scheme,
    users,
)
from tests.enrolment.conftest import build, in_town  # noqa: F401 - fixtures
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture

APRIL = date(2023, 4, 1)
CARD = "6228480402564890018"


@transaction.atomic
def fund_bank(amount_fen: int, scheme_year: int = 2022) -> None:
    year = ledger.lock_year(scheme_year)
    ledger.post(
        year,
        EntryKind.GRANT,
        [ledger.debit(BANK, amount_fen), ledger.credit(income("government_grant"), amount_fen)],
        entry_date=date(scheme_year, 12, 1),
        actor=None,
        memo="测试拨款",
    )


@transaction.atomic
def approved_claim(
    member, amount_fen: int = 500_000, *, decided=None, card: str = CARD, drg: str = "ES23"
) -> Claim:
    """A claim approved as the claims domain approves one: expense / payable booked, the member's year counted."""
    household = member.household
    claim = Claim.objects.create(
        member=member,
        village_code=household.village.code,
        household_id=household.pk,
        scheme_year=2022,
        state=ClaimState.APPROVED,
        hospital_name="潼南区人民医院",
        hospital_level="secondary",
        hospital_designated=True,
        admission_date=date(2023, 3, 1),
        discharge_date=date(2023, 3, 10),
        cause="illness",
        insurance_type="resident",
        total_cost_fen=3_000_000,
        insurance_paid_fen=1_800_000,
        out_of_pocket_fen=1_200_000,
        diagnosis_codes=["C34.900"],
        drg_code=drg,
        bank_name="农业银行潼南支行",
        bank_card_encrypted=crypto.encrypt(card),
        bank_card_masked=f"{card[:4]} **** **** {card[-4:]}",
        amount_fen=amount_fen,
        decided_at=decided or datetime(2023, 3, 20, 10, 0, tzinfo=SHANGHAI),
    )
    year = ledger.lock_year(2022)
    ledger.post(
        year,
        EntryKind.EXPENSE_ACCRUAL,
        [ledger.debit(EXPENSE_SUBSIDIES, amount_fen), ledger.credit(PAYABLE_SUBSIDIES, amount_fen)],
        entry_date=date(2023, 3, 20),
        actor=None,
        reference=f"claim:{claim.pk}",
    )
    total, _ = MemberYearTotal.objects.get_or_create(member_id=member.pk, scheme_year=2022)
    total.approved_fen += amount_fen
    total.approved_count += 1
    total.save()
    return claim


@pytest.fixture
def april(clock):  # noqa: F811
    clock.set(datetime(2023, 4, 1, 1, 0, tzinfo=SHANGHAI))
    return clock


@pytest.fixture
def claims(scheme, april):  # noqa: F811
    """Three approved claims (two villages), one approved in April (next month's), and money in the bank."""
    fund_bank(100_000_000)
    return {
        "head": approved_claim(scheme.head, 500_000),
        "spouse": approved_claim(scheme.spouse, 300_000, card="6217000010012345678"),
        "neighbour": approved_claim(scheme.neighbour, 200_000, card="6222020200112233445"),
        "late": approved_claim(
            scheme.outsider, 100_000, decided=datetime(2023, 4, 1, 0, 30, tzinfo=SHANGHAI)
        ),
    }
