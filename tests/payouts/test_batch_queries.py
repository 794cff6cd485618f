"""Creating a month's batch reads and writes its claims in bulk: its queries do not grow with the number of claims
(a per-claim query in the gathering, the fee or the hold checks would make the 10,000-claim bench slow)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualaid.payouts import actions
from tests.claims.conftest import SHANGHAI
from tests.payouts.conftest import APRIL, approved_claim


def _gathered(month: date, actor) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        batch, created = actions.gather_batch(month, actor=actor)
    assert created
    return batch.line_count, len(captured.captured_queries)


def test_creating_a_batch_takes_as_many_queries_for_ten_claims_as_for_three(claims, scheme, users, april):
    april_lines, april_queries = _gathered(APRIL, users["town_admin"])
    # nine more approved in April, beside the one already approved in April: ten for May's batch
    in_april = datetime(2023, 4, 10, 10, 0, tzinfo=SHANGHAI)
    members = (scheme.head, scheme.spouse, scheme.neighbour)
    for n in range(9):
        approved_claim(members[n % 3], 10_000 + n, decided=in_april, card=f"62284804{n:011d}")
    april.set(datetime(2023, 5, 1, 9, 0, tzinfo=SHANGHAI))

    may_lines, may_queries = _gathered(date(2023, 5, 1), users["town_admin"])

    assert (april_lines, may_lines) == (3, 10)
    assert may_queries == april_queries
