"""The supervision pages' world: the three session towns with a 2022 rollup each (大公镇 and 雅周镇 in 海安市, 新胜镇
in 潼南区), 大公镇's plan with its Q2 report filed, 新胜镇's Q2 report filed too, 海安市's survey published and
大公镇's evaluation computed; the people of ``tests.reporting.conftest``."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from mutualaid.reporting import actions, targets
from mutualaid.reporting.models import TownRollup
from tests.reporting.conftest import people  # noqa: F401 - a fixture


def rollup(town, **values) -> TownRollup:
    row = TownRollup.objects.create(
        town=town, county=town.county, province_code=town.code[:2], scheme_year=2022, as_of=date(2023, 3, 1),
        computed_at=timezone.now(), has_policy=True, villages=10, villages_joined=6, eligible_people=1000,
        enrolled_people=600, eligible_households_in_joined=300, enrolled_households_in_joined=200,
        balance_fen=500_000_00, subsidies_fen=120_000_00, payout_months=4, **values,
    )  # fmt: skip
    targets.apply(TownRollup.objects.filter(pk=row.pk))
    return row


@pytest.fixture
def world(towns, people):  # noqa: F811
    dagong, yazhou, xinsheng = (towns[c] for c in ("320685107", "320685109", "500152116"))
    rollup(dagong, run_dry_bp=1850, expected_carry_over_fen=80_000_00, solvency_policy_version=1)
    rollup(yazhou, run_dry_bp=200)
    rollup(xinsheng)
    actions.file_plan(dagong, 2022, actor=None)
    report = actions.file_report(dagong, 2022, 2, items=[], summary="大公镇二季度进展", actor=None)
    actions.file_plan(xinsheng, 2022, actor=None)
    other = actions.file_report(xinsheng, 2022, 2, items=[], summary="新胜镇二季度进展", actor=None)
    actions.publish_survey(dagong.county, 2022, actor=None)
    evaluation = actions.compute_evaluation(dagong, 2022, actor=None)
    return {"report": report, "other_report": other, "evaluation": evaluation, **towns}


@pytest.fixture
def as_user():
    def client_for(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return client_for
