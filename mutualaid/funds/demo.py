"""Demo ledger content (filled in below)."""


def demo_town_funds(town) -> None:
    return None
