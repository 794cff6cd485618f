"""The platform's pages: the county's and province's dashboard (towns behind target first, with a chart), onboarding
a town with its progress, and the service firm's cross-town review queue by due date."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims.models import OPEN_STATES, ClaimState
from mutualaid.claims_queue.api import queue_for
from mutualaid.enrolment.participation import participation
from mutualaid.enrolment.permissions import READ_PARTICIPATION
from mutualaid.platform.accounts.permissions import (
    ONBOARD_TOWN,
    VIEW_TOWN_PROVISIONING,
    Target,
    has_permission,
    holds_rule,
    visible_towns_filter,
)
from mutualaid.platform.schemas import town_schema
from mutualaid.reporting.models import RollupKind, TownRollup
from mutualaid.reporting.permissions import VIEW_COUNTY_DASHBOARD
from mutualaid.reporting.rules import may_run_dry
from mutualaid.tenants import actions as town_actions
from mutualaid.tenants.models import Town, TownStatus
from mutualaid.tenants.notices import finance_notice
from mutualaid.web import nav
from mutualaid.web.access import add_errors, perform, platform_page, render
from mutualaid.web.views.common import current_year, terms_or_none

nav.register(
    nav.NavItem("towns", "各镇进度", "web-console", site=nav.PLATFORM, order=10, rule=READ_PARTICIPATION)
)
nav.register(
    nav.NavItem(
        "onboarding", "乡镇开通", "web-onboarding", site=nav.PLATFORM, order=20, rule=VIEW_TOWN_PROVISIONING
    )
)
nav.register(
    nav.NavItem(
        "review-queue",
        "审核队列",
        "web-review-queue",
        site=nav.PLATFORM,
        order=30,
        visible=lambda request: claim_perms.may_read_review_queue(request.user),
    )
)


@dataclass
class TownRow:
    town: Town
    year: int | None
    enrolled: int = 0
    eligible: int = 0
    share_bp: int | None = None
    target_bp: int | None = None
    # 资金用尽概率 of the year's published table (the rollup's latest simulation)
    run_dry_bp: int | None = None
    carry_over_fen: int | None = None
    solvency_version: int | None = None

    @property
    def run_dry_warning(self) -> bool:
        return may_run_dry(self.run_dry_bp)

    @property
    def behind(self) -> bool:
        return self.target_bp is not None and (self.share_bp or 0) < self.target_bp

    @property
    def gap_bp(self) -> int:
        return (self.target_bp or 0) - (self.share_bp or 0)


def town_rows(user) -> list[TownRow]:
    """Each active town the user may see aggregates of, with its newest published year's participation; behind
    target first (largest gap first), then by code."""
    towns = Town.objects.filter(status=TownStatus.ACTIVE).filter(visible_towns_filter(user)).order_by("code")
    rows = []
    for town in towns.select_related("county"):
        if not has_permission(user, READ_PARTICIPATION, Target.town(town.code)):
            continue
        with town_schema(town):
            year = current_year()
            terms = terms_or_none(year)
            row = TownRow(town, year)
            if terms is not None:
                result = participation(terms)
                row.enrolled, row.eligible = result.enrolled_people, result.eligible_people
                row.share_bp, row.target_bp = result.person_share.share_bp, result.person_share.target_bp
        rows.append(row)
    _add_solvency(rows)
    rows.sort(key=lambda r: (not r.behind, -r.gap_bp, r.town.code))
    return rows


def _add_solvency(rows: list[TownRow]) -> None:
    """The run-dry probability beside each row's figures: one query over the towns' rollups."""
    found: dict[tuple[int, int | None], Any] = {
        (r["town_id"], r["scheme_year"]): r
        for r in TownRollup.objects.filter(
            town_id__in=[row.town.pk for row in rows], kind=RollupKind.CURRENT
        ).values("town_id", "scheme_year", "run_dry_bp", "expected_carry_over_fen", "solvency_policy_version")
    }
    for row in rows:
        rollup = found.get((row.town.pk, row.year))
        if rollup is not None:
            row.run_dry_bp = rollup["run_dry_bp"]
            row.carry_over_fen = rollup["expected_carry_over_fen"]
            row.solvency_version = rollup["solvency_policy_version"]


def _sees_anything(request) -> bool:
    user = request.user
    return user.is_staff or holds_rule(user, READ_PARTICIPATION) or claim_perms.may_read_review_queue(user)


@platform_page(check=_sees_anything)
def console(request):
    if not (request.user.is_staff or holds_rule(request.user, READ_PARTICIPATION)):
        return redirect("web-review-queue")
    rows = town_rows(request.user)
    chart = {
        "labels": [r.town.name for r in rows],
        "unit": "%",
        "series": [
            {"name": "参加率", "data": [round((r.share_bp or 0) / 100, 1) for r in rows]},
            {"name": "目标", "data": [round((r.target_bp or 0) / 100, 1) for r in rows]},
        ],
    }
    supervises = holds_rule(request.user, VIEW_COUNTY_DASHBOARD)  # the county's and province's town pages
    at_risk = sum(1 for r in rows if r.run_dry_warning)
    context = {"rows": rows, "chart": chart, "supervises": supervises, "at_risk": at_risk}
    return render(request, "web/platform/console.html", context)


class OnboardForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("乡镇区划代码（9 位）"), max_length=9)
    admin_phone = forms.CharField(label=gettext_lazy("镇管理员手机号"), max_length=20)
    finance_phone = forms.CharField(
        label=gettext_lazy("镇财政人员手机号（可不填）"), max_length=20, required=False
    )


@platform_page(VIEW_TOWN_PROVISIONING)
def onboarding(request):
    form = OnboardForm(request.POST or None)
    may_onboard = holds_rule(request.user, ONBOARD_TOWN)
    if request.method == "POST":
        if not may_onboard:
            raise Http404("未找到页面")
        if form.is_valid():
            data = form.cleaned_data

            def onboard():
                township = town_actions.resolve_township(data["code"])
                if not has_permission(request.user, ONBOARD_TOWN, Target.county(township.county.code)):
                    raise PermissionDenied
                return town_actions.request_onboarding(
                    township,
                    actor=request.user,
                    admin_phone=data["admin_phone"],
                    finance_phone=data["finance_phone"] or "",
                )

            try:
                town = perform(form, onboard)
            except PermissionDenied:
                town = None
                add_errors(form, ValidationError({"code": ValidationError("只能开通本县（市、区）的乡镇")}))
            if town is not None:
                messages.success(
                    request, f"已提交开通：{town.name}（{town.code}）。{finance_notice(town) or ''}"
                )
                return redirect("web-onboarding")
    towns = (
        Town.objects.filter(visible_towns_filter(request.user, VIEW_TOWN_PROVISIONING.roles))
        .select_related("county")
        .order_by("-created_at")[:100]
    )
    return render(
        request, "web/platform/onboarding.html", {"form": form, "towns": towns, "may_onboard": may_onboard}
    )


nav.register(
    nav.NavItem(
        "town-review-queue",
        "审核队列",
        "web-town-review-queue",
        order=5,
        visible=lambda request: claim_perms.may_read_review_queue(request.user),
    )
)


def town_review_queue(request):
    """From a town's pages back to the cross-town queue (a platform page: same host under /t/, else the platform's
    address)."""
    if request.path.startswith("/t/"):
        return redirect("/console/review/")
    return redirect(settings.PUBLIC_URL + "/console/review/")


@platform_page(check=lambda request: claim_perms.may_read_review_queue(request.user))
def review_queue(request):
    entries = list(queue_for(request.user)[:200])
    # a decided claim is queued only while an objection to its disclosure (公示异议) waits for the firm
    objections = {e.pk for e in entries if e.state not in OPEN_STATES}
    return render(
        request,
        "web/platform/queue.html",
        {"entries": entries, "states": dict(ClaimState.choices), "objections": objections},
    )
