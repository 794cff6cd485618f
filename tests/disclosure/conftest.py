"""Fixtures for disclosures: the payouts fixtures (新胜镇 with its 2022 policy, two villages, approved claims booked
in the ledger with their decisions), and helpers to publish a month."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mutualaid.claims.models import Decision
from mutualaid.disclosure import actions
from tests.claims.conftest import SHANGHAI
from tests.payouts.conftest import (  # noqa: F401 - fixtures
    _media_in_tmp,
    approved_claim,
    build,
    clock,
    drg_catalogue,
    fund_bank,
    icd_catalogue,
    in_town,
    scheme,
    users,
)

MARCH = date(2023, 3, 1)


def decided(claim) -> Decision:
    """The decision the claims domain keeps for an approval, linked to its ledger entry."""
    from mutualaid.funds.models import JournalEntry

    entry = JournalEntry.objects.filter(reference=f"claim:{claim.pk}").get()
    return Decision.objects.create(
        claim=claim,
        outcome="approved",
        scheme_year=2022,
        inputs={},
        reasons=[],
        computed_eligible=True,
        computed_amount_fen=claim.amount_fen,
        amount_fen=claim.amount_fen,
        drg_code=claim.drg_code,
        journal_entry_id=entry.pk,
    )


@pytest.fixture
def march(scheme, clock):  # noqa: F811
    """Money in the bank (December), three approved subsidies in March 2023 in two villages; clock: 2 April."""
    fund_bank(100_000_000)
    claims = {
        "head": approved_claim(scheme.head, 500_000),
        "spouse": approved_claim(scheme.spouse, 300_000, card="6217000010012345678"),
        "neighbour": approved_claim(scheme.neighbour, 200_000, card="6222020200112233445"),
    }
    for claim in claims.values():
        decided(claim)
    clock.set(datetime(2023, 4, 2, 9, 0, tzinfo=SHANGHAI))
    return claims


@pytest.fixture
def published(march, users):  # noqa: F811
    draft, _ = actions.generate_draft(MARCH, actor=users["town_admin"])
    return actions.publish(draft, actor=users["town_admin"])
