"""A town's own supervision pages (issues 18 × 19): the town admin files the year's plan and quarterly reports for
the county to review, and the town's staff see its November evaluation (评估验收) with its PDF. The county's and
province's side is ``supervision``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role
from mutualaid.reporting import actions, rules
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import Evaluation, PlanTask, QuarterlyReport, ReportState
from mutualaid.tenants.models import Town
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, town_code, town_page
from mutualaid.web.views.supervision import (
    QUARTERS,
    STATUS_CHOICES,
    evaluation_file_response,
    scheme_year_asked,
)

# The town's staff only (the county and province read reports and evaluations on their own pages).
TOWN_ROLES = frozenset({Role.TOWN_ADMIN, Role.TOWN_FINANCE})
TOWN_READ_REPORTS = Rule("view_quarterly_reports", *(perms.VIEW_QUARTERLY_REPORTS.roles & TOWN_ROLES))
TOWN_READ_EVALUATION = Rule("view_town_figures", *(perms.VIEW_TOWN_FIGURES.roles & TOWN_ROLES))

nav.register(nav.NavItem("town-reports", "季度报告", "web-town-reports", order=80, rule=TOWN_READ_REPORTS))
nav.register(
    nav.NavItem("town-evaluation", "评估验收", "web-town-evaluation", order=82, rule=TOWN_READ_EVALUATION)
)


class PlanForm(forms.Form):
    scheme_year = forms.IntegerField(widget=forms.HiddenInput)


class ReportForm(forms.Form):
    quarter = forms.TypedChoiceField(label=gettext_lazy("季度"), choices=QUARTERS, coerce=int)
    summary = forms.CharField(
        label=gettext_lazy("进展说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, tasks: list[PlanTask], **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = tasks
        for task in tasks:
            self.fields[f"status_{task.key}"] = forms.ChoiceField(
                label=f"{task.title}（{task.due_date:%m月%d日}前）", choices=STATUS_CHOICES, initial="pending"
            )
            self.fields[f"note_{task.key}"] = forms.CharField(
                label=gettext_lazy("说明"), required=False, max_length=500
            )

    def items(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"key": t.key, "status": data[f"status_{t.key}"], "note": data.get(f"note_{t.key}") or ""}
            for t in self.tasks
        ]


def _this_town(request) -> Town:
    town = Town.objects.select_related("county").filter(code=town_code(request)).first()
    if town is None:
        raise Http404("未找到页面")
    return town


def _quarter(value: str, year: int) -> int:
    if value.isdigit() and 1 <= int(value) <= 4:
        return int(value)
    today = timezone.localdate()
    if today.year > year:
        return 4
    return max(1, rules.quarter_of(today) - 1)


@town_page(TOWN_READ_REPORTS)
def town_reports(request):
    town = _this_town(request)
    user = request.user
    year = scheme_year_asked(request)
    may_file = allowed(request, perms.FILE_QUARTERLY_REPORT)
    plan = list(PlanTask.objects.filter(town=town, scheme_year=year).order_by("order"))
    quarter = _quarter(request.POST.get("quarter") or request.GET.get("quarter") or "", year)
    due = [t for t in plan if t.quarter <= quarter]
    form = ReportForm(initial={"quarter": quarter}, tasks=due)
    plan_form = PlanForm(initial={"scheme_year": year})
    existing = {r.quarter: r for r in QuarterlyReport.objects.filter(town=town, scheme_year=year)}
    if quarter in existing and request.method != "POST":
        previous = existing[quarter]
        form = ReportForm(
            initial={
                "quarter": quarter,
                "summary": previous.summary,
                **{f"status_{i['key']}": i["status"] for i in previous.items},
                **{f"note_{i['key']}": i["note"] for i in previous.items},
            },
            tasks=due,
        )
    if request.method == "POST":
        if not may_file:
            raise Http404("未找到页面")
        action = request.POST.get("action")
        done = None
        if action == "plan":
            plan_form = PlanForm(request.POST)
            if plan_form.is_valid():
                done = perform(plan_form, lambda: actions.file_plan(town, year, actor=user))
                message = "年度推进计划已上报"
        elif action == "report":
            form = ReportForm(request.POST, tasks=due)
            if form.is_valid():
                data = form.cleaned_data
                done = perform(
                    form,
                    lambda: actions.file_report(
                        town, year, data["quarter"], items=form.items(), summary=data["summary"], actor=user
                    ),
                )
                message = "季度报告已上报县级审核"
        else:
            raise Http404("未找到页面")
        if done is not None:
            messages.success(request, message)
            return redirect(f"{request.path}?year={year}&quarter={quarter}")
    context = {
        "year": year,
        "plan": plan,
        "reports": [existing[q] for q in sorted(existing)],
        "quarter": quarter,
        "quarters": QUARTERS,
        "form": form if may_file and plan else None,
        "plan_form": plan_form if may_file else None,
        "accepted": quarter in existing and existing[quarter].state == ReportState.ACCEPTED,
        "due_date": rules.report_due(year, quarter),
        "statuses": dict(STATUS_CHOICES),
    }
    return render(request, "web/town/reports.html", context)


@town_page(TOWN_READ_EVALUATION)
def town_evaluation(request):
    town = _this_town(request)
    year = scheme_year_asked(request)
    found = Evaluation.objects.filter(town=town, scheme_year=year).select_related("town").first()
    years = sorted(
        set(Evaluation.objects.filter(town=town).values_list("scheme_year", flat=True)) | {year}, reverse=True
    )
    return render(
        request,
        "web/town/evaluation.html",
        {"year": year, "years": years, "evaluation": found},
    )


@town_page(TOWN_READ_EVALUATION)
def town_evaluation_file(request, year: int, fmt: str):
    town = _this_town(request)
    found = Evaluation.objects.filter(town=town, scheme_year=year).select_related("town").first()
    return evaluation_file_response(found, fmt)
