"""Demo payout batches (filled in by a later step)."""

from __future__ import annotations


def demo_town_payouts(town) -> None:
    return None
