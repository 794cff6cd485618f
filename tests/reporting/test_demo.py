"""The platform demo step: rollups of every town, 2022 Q2–Q4 reports of the 海安 towns (one returned and refiled),
the survey with generated answers and the November evaluation of 大公镇 and 雅周镇 signed off; idempotent."""

from __future__ import annotations

from django.apps import apps

from mutualaid.reporting.demo import ANSWERS_PER_TOWN, demo_supervision
from mutualaid.reporting.models import Evaluation, QuarterlyReport, SurveyAnswer, TownRollup


def test_demo_step_is_declared():
    config = apps.get_app_config("reporting")
    assert config.platform_demo_steps == ("mutualaid.reporting.demo.demo_supervision",)


def test_demo_supervision(demo_towns):
    demo_supervision()
    demo_supervision()  # idempotent
    assert TownRollup.objects.filter(kind="current", scheme_year=2022).count() == 3
    # every town's run-dry probability of its published table, beside its fund health
    assert TownRollup.objects.filter(kind="current", scheme_year=2022, run_dry_bp__isnull=False).count() == 3
    reports = QuarterlyReport.objects.filter(scheme_year=2022)
    assert sorted(reports.values_list("town__code", "quarter")) == [
        (code, q) for code in ("320685107", "320685109") for q in (2, 3, 4)
    ]
    assert set(reports.values_list("state", flat=True)) == {"accepted"}
    refiled = reports.get(town__code="320685107", quarter=3)
    assert refiled.revision == 2 and [h["state"] for h in refiled.history] == [
        "filed", "returned", "filed", "accepted"
    ]  # fmt: skip
    assert SurveyAnswer.objects.count() == 2 * ANSWERS_PER_TOWN
    evaluations = Evaluation.objects.filter(scheme_year=2022)
    assert sorted(evaluations.values_list("town__code", "state")) == [
        ("320685107", "signed_off"),
        ("320685109", "signed_off"),
    ]
    satisfaction = next(i for i in evaluations.first().items if i["key"] == "satisfaction")
    assert satisfaction["passed"] is True and "60 份" in satisfaction["evidence"]
