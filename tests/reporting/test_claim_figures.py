"""Claims in the rollup equal the town's own claims: counts by state, decisions and their timeliness, subsidies by
DRG against out-of-pocket costs (新胜镇's demo claims, decided by its published 2022 policy)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from mutualaid.claims.demo import demo_town_claims
from mutualaid.claims.models import Claim
from mutualaid.enrolment import demo as enrolment_demo
from mutualaid.policies.actions import apply_preset
from mutualaid.reporting import refresh
from mutualaid.reporting.models import RollupKind, TownRollup
from tests.claims.conftest import _media_in_tmp, icd_catalogue  # noqa: F401 - fixtures
from tests.enrolment.conftest import XINSHENG_2022
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture


def test_claim_figures_equal_the_towns_claims(xinsheng, drg_catalogue, icd_catalogue, _media_in_tmp):  # noqa: F811
    connection.set_tenant(xinsheng)
    try:
        apply_preset("xinsheng-2022", None, publish=True)
        enrolment_demo.load_town("500152116", XINSHENG_2022, seed=3, people=900)
        demo_town_claims(xinsheng)
        by_state = dict(Claim.objects.values_list("state").annotate(n=Count("id")))
        decided = Claim.objects.filter(decided_at__isnull=False, submitted_at__isnull=False)
        within = sum(
            1 for c in decided if c.due_date is None or timezone.localdate(c.decided_at) <= c.due_date
        )
        paid_states = ("approved", "in_batch", "paid")
        subsidy = Claim.objects.filter(state__in=paid_states).aggregate(
            s=Sum("amount_fen"), own=Sum("out_of_pocket_fen")
        )
        decided_count = decided.count()
    finally:
        connection.set_schema_to_public()
    refresh.refresh_town(xinsheng)
    row = TownRollup.objects.get(town=xinsheng, scheme_year=2022, kind=RollupKind.CURRENT)
    assert row.claims_by_state == by_state and len(by_state) > 5
    assert row.claims_decided == decided_count > 0
    assert row.decided_within_limit_bp == within * 10000 // decided_count
    assert row.decision_days_median is not None and row.decision_days_p90 >= row.decision_days_median
    assert sum(v[1] for v in row.subsidy_by_drg.values()) == subsidy["s"]
    assert row.out_of_pocket_fen == subsidy["own"]
    assert row.subsidies_fen > 0 and row.paid_out_fen <= row.subsidies_fen
