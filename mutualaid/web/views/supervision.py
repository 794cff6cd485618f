"""Supervision in the console (issues 18 × 19): the county's and province's quarterly reports to review, targets,
the November evaluation (评估验收) with its PDF, the satisfaction survey and a town's trend charts; on a town's
pages (``town_reports``), the town admin files its quarterly report and the town sees its evaluation.

Thin like the mutations: each page checks the Rules of ``mutualaid.reporting.permissions`` (the page's own, then the
object's town or county), one action per POST in one transaction, the domain's typed errors next to the fields.
Anything a user may not see answers 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mutualaid.platform.accounts.permissions import Rule, Target, has_permission, holds_rule
from mutualaid.platform.regions.models import County
from mutualaid.reporting import actions, dashboards, exports, rules, selectors
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import (
    Evaluation,
    EvaluationState,
    ReportState,
    RollupKind,
    Survey,
    TargetLevel,
    TownRollup,
)
from mutualaid.reporting.models import (
    Target as TargetRow,
)
from mutualaid.tenants.models import Town
from mutualaid.web import nav
from mutualaid.web.access import perform, platform_page, render

SUPERVISE = perms.VIEW_COUNTY_DASHBOARD  # the province and the county


def may_set_targets(request) -> bool:
    return holds_rule(request.user, perms.SET_TOWN_TARGETS) or holds_rule(
        request.user, perms.SET_COUNTY_TARGETS
    )


for _item in (
    nav.NavItem(
        "supervision-reports", "季度报告", "web-sup-reports", site=nav.PLATFORM, order=40, rule=SUPERVISE
    ),
    nav.NavItem(
        "supervision-targets", "目标", "web-sup-targets", site=nav.PLATFORM, order=42, visible=may_set_targets
    ),
    nav.NavItem(
        "supervision-evaluations",
        "评估验收",
        "web-sup-evaluations",
        site=nav.PLATFORM,
        order=44,
        rule=SUPERVISE,
    ),
    nav.NavItem(
        "supervision-survey", "满意度调查", "web-sup-survey", site=nav.PLATFORM, order=46, rule=SUPERVISE
    ),
):
    nav.register(_item)

STATUS_CHOICES = [("done", "已完成"), ("late", "滞后"), ("pending", "未到期")]
QUARTERS = [(q, f"第{q}季度") for q in (1, 2, 3, 4)]


def scheme_year_asked(request) -> int:
    asked = request.GET.get("year") or request.POST.get("scheme_year") or ""
    if asked.isdigit() and 2000 <= int(asked) <= 2100:
        return int(asked)
    latest = TownRollup.objects.order_by("-scheme_year").values_list("scheme_year", flat=True).first()
    return latest or timezone.localdate().year


def _years(year: int) -> list[int]:
    found = set(TownRollup.objects.values_list("scheme_year", flat=True).distinct()) | {year}
    return sorted(found, reverse=True)


def _town_or_404(request, code: str, rule: Rule) -> Town:
    town = Town.objects.select_related("county").filter(code=code).first()
    if town is None or not has_permission(request.user, rule, Target.town(town.code)):
        raise Http404("未找到页面")
    return town


# --- quarterly reports (the county reviews, the province reads the accepted ones) ---------------------------------


@platform_page(SUPERVISE)
def reports(request):
    year = scheme_year_asked(request)
    quarter = request.GET.get("quarter", "")
    town = request.GET.get("town", "")
    rows = selectors.visible_reports(
        request.user, year, town_code=town or None, quarter=int(quarter) if quarter.isdigit() else None
    )
    context = {
        "year": year,
        "years": _years(year),
        "quarter": quarter,
        "quarters": QUARTERS,
        "town_code": town,
        "towns": selectors.supervised_towns(request.user),
        "rows": rows,
        "waiting": sum(1 for r in rows if r.state == ReportState.FILED),
    }
    return render(request, "web/platform/reports.html", context)


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("县级意见（退回时必填）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@platform_page(SUPERVISE)
def report(request, pk: int):
    found = selectors.visible_report(request.user, pk)
    if found is None:
        raise Http404("未找到页面")
    may_review = has_permission(request.user, perms.REVIEW_QUARTERLY_REPORT, Target.town(found.town.code))
    form = ReviewForm()
    if request.method == "POST":
        if not may_review:
            raise Http404("未找到页面")
        form = ReviewForm(request.POST)
        accept = request.POST.get("action") == "accept"
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            done = perform(
                form,
                lambda: actions.review_report(found, accept=accept, comment=comment, actor=request.user),
            )
            if done is not None:
                messages.success(request, "已通过" if accept else "已退回，等待乡镇修改后重新上报")
                return redirect("web-sup-report", pk=found.pk)
    context = {
        "report": found,
        "form": form,
        "may_review": may_review and found.state == ReportState.FILED,
        "figures": _figures(found.figures),
        "statuses": dict(STATUS_CHOICES),
    }
    return render(request, "web/platform/report.html", context)


FIGURE_LABELS = (
    ("as_of", "截至日期", None),
    ("villages_joined", "参与村", None),
    ("villages", "行政村", None),
    ("enrolled_people", "参加人数", None),
    ("eligible_people", "在册人数", None),
    ("enrolled_households_in_joined", "试点村参加农户", None),
    ("eligible_households_in_joined", "试点村农户", None),
    ("income_fen", "筹资收入", "yuan"),
    ("balance_fen", "专户余额", "yuan"),
    ("subsidies_fen", "已核准补助", "yuan"),
    ("paid_out_fen", "已发放补助", "yuan"),
    ("claims_decided", "已审结申请", None),
)


def _figures(figures: dict) -> list[dict]:
    return [
        {"label": label, "value": figures[key], "yuan": kind == "yuan"}
        for key, label, kind in FIGURE_LABELS
        if key in figures
    ]


# --- targets ---------------------------------------------------------------------------------------------------------


def _share(value) -> int | None:
    return None if value is None else int(value * 100)


class TargetsForm(forms.Form):
    scheme_year = forms.IntegerField(label=gettext_lazy("互助年度"), min_value=2000, max_value=2100)
    village_share = forms.DecimalField(
        label=gettext_lazy("行政村参与率目标（%）"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    household_share = forms.DecimalField(
        label=gettext_lazy("试点村农户参与率目标（%）"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    person_share = forms.DecimalField(
        label=gettext_lazy("群众参与率目标（%）"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )

    def shares(self) -> dict:
        data = self.cleaned_data
        return {
            "village_bp": _share(data["village_share"]),
            "household_bp": _share(data["household_share"]),
            "person_bp": _share(data["person_share"]),
        }


class TownTargetsForm(TargetsForm):
    town = forms.ChoiceField(label=gettext_lazy("乡镇"))

    field_order = ["town", "scheme_year"]


class CountyTargetsForm(TargetsForm):
    county = forms.ChoiceField(label=gettext_lazy("县（市、区）"))

    field_order = ["county", "scheme_year"]


@platform_page(check=may_set_targets)
def targets(request):
    user = request.user
    year = scheme_year_asked(request)
    towns = [t for t in selectors.supervised_towns(user, perms.SET_TOWN_TARGETS)]
    counties = selectors.supervised_counties(user, perms.SET_COUNTY_TARGETS)
    initial = {"scheme_year": year}
    town_form = TownTargetsForm(initial=initial, prefix="town")
    county_form = CountyTargetsForm(initial=initial, prefix="county")
    town_form.fields["town"].choices = [(t.code, f"{t.name}（{t.county.name}）") for t in towns]
    county_form.fields["county"].choices = [(c.code, c.name) for c in counties]
    if request.method == "POST":
        action = request.POST.get("action")
        done = None
        if action == "town" and towns:
            town_form = TownTargetsForm(request.POST, prefix="town")
            town_form.fields["town"].choices = [(t.code, t.name) for t in towns]
            if town_form.is_valid():
                town = _town_or_404(request, town_form.cleaned_data["town"], perms.SET_TOWN_TARGETS)
                data = town_form.cleaned_data
                done = perform(
                    town_form,
                    lambda: actions.set_town_target(
                        town, data["scheme_year"], **town_form.shares(), actor=user
                    ),
                )
        elif action == "county" and counties:
            county_form = CountyTargetsForm(request.POST, prefix="county")
            county_form.fields["county"].choices = [(c.code, c.name) for c in counties]
            if county_form.is_valid():
                county = County.objects.get(code=county_form.cleaned_data["county"])
                if not has_permission(user, perms.SET_COUNTY_TARGETS, Target.county(county.code)):
                    raise Http404("未找到页面")
                data = county_form.cleaned_data
                done = perform(
                    county_form,
                    lambda: actions.set_county_target(
                        county, data["scheme_year"], **county_form.shares(), actor=user
                    ),
                )
        else:
            raise Http404("未找到页面")
        if done is not None:
            messages.success(request, "目标已保存")
            return redirect(f"{request.path}?year={done.scheme_year}")
    lines = (
        TownRollup.objects.filter(
            kind=RollupKind.CURRENT, scheme_year=year, town__in=selectors.supervised_towns(user)
        )
        .select_related("town", "county")
        .order_by("town__code")
    )
    set_rows = TargetRow.objects.filter(scheme_year=year).filter(
        town__in=selectors.supervised_towns(user)
    ) | TargetRow.objects.filter(
        scheme_year=year, level=TargetLevel.PROVINCE, county__in=[c.pk for c in counties]
    )
    context = {
        "year": year,
        "years": _years(year),
        "town_form": town_form if towns else None,
        "county_form": county_form if counties else None,
        "lines": [dashboards.TownLine(row) for row in lines],
        "set_rows": set_rows.select_related("town", "county").order_by("level", "county__code", "town__code"),
    }
    return render(request, "web/platform/targets.html", context)


# --- the November evaluation ----------------------------------------------------------------------------------------


@platform_page(SUPERVISE)
def evaluations(request):
    year = scheme_year_asked(request)
    towns = list(selectors.supervised_towns(request.user))
    found = {e.town_id: e for e in Evaluation.objects.filter(scheme_year=year, town__in=towns)}
    rows = [{"town": t, "evaluation": found.get(t.pk)} for t in towns]
    return render(
        request, "web/platform/evaluations.html", {"year": year, "years": _years(year), "rows": rows}
    )


class FindingsForm(forms.Form):
    briefing = forms.CharField(
        label=gettext_lazy("听取汇报"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    spot_check = forms.CharField(
        label=gettext_lazy("实地抽查"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    grade = forms.ChoiceField(
        label=gettext_lazy("评定等次"), required=False, choices=[("", "—")] + [(g, g) for g in rules.GRADES]
    )


@platform_page(SUPERVISE)
def evaluation(request, code: str, year: int):
    town = _town_or_404(request, code, perms.VIEW_TOWN_FIGURES)
    user = request.user
    found = Evaluation.objects.filter(town=town, scheme_year=year).select_related("town").first()
    may_evaluate = has_permission(user, perms.EVALUATE_TOWN, Target.town(town.code))
    form = FindingsForm(
        initial={
            "briefing": found.findings_briefing,
            "spot_check": found.findings_spot_check,
            "grade": found.grade,
        }
        if found
        else None
    )
    state_errors = forms.Form()
    if request.method == "POST":
        if not may_evaluate:
            raise Http404("未找到页面")
        action = request.POST.get("action")
        done = None
        if action == "compute":
            done = perform(state_errors, lambda: actions.compute_evaluation(town, year, actor=user))
        elif action == "findings" and found is not None:
            form = FindingsForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                done = perform(
                    form,
                    lambda: actions.record_findings(
                        found,
                        briefing=data["briefing"],
                        spot_check=data["spot_check"],
                        grade=data["grade"],
                        actor=user,
                    ),
                )
        elif action == "sign_off" and found is not None:
            done = perform(state_errors, lambda: actions.sign_off(found, actor=user))
        else:
            raise Http404("未找到页面")
        if done is not None:
            messages.success(request, "已办理")
            return redirect("web-sup-evaluation", code=town.code, year=year)
    context = {
        "town_obj": town,
        "year": year,
        "evaluation": found,
        "form": form,
        "state_errors": state_errors,
        "may_evaluate": may_evaluate and (found is None or found.state != EvaluationState.SIGNED_OFF),
        "pdf_url": f"/console/supervision/evaluations/{town.code}/{year}.pdf",
        "xlsx_url": f"/console/supervision/evaluations/{town.code}/{year}.xlsx",
    }
    return render(request, "web/platform/evaluation.html", context)


def evaluation_file_response(found: Evaluation | None, fmt: str) -> HttpResponse:
    if found is None or fmt not in ("pdf", "xlsx"):
        raise Http404("未找到页面")
    if fmt == "pdf":
        content, content_type = exports.evaluation_pdf(found), exports.PDF
    else:
        content, content_type = exports.evaluation_xlsx(found), exports.XLSX
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="evaluation-{found.town.code}-{found.scheme_year}.{fmt}"'
    )
    return response


@platform_page(SUPERVISE)
def evaluation_file(request, code: str, year: int, fmt: str):
    town = _town_or_404(request, code, perms.VIEW_TOWN_FIGURES)
    found = Evaluation.objects.filter(town=town, scheme_year=year).select_related("town").first()
    return evaluation_file_response(found, fmt)


# --- the satisfaction survey -----------------------------------------------------------------------------------------


class SurveyForm(forms.Form):
    scheme_year = forms.IntegerField(label=gettext_lazy("互助年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=gettext_lazy("问卷标题（可不填）"), required=False, max_length=200)


@platform_page(SUPERVISE)
def survey(request):
    user = request.user
    year = scheme_year_asked(request)
    counties = selectors.supervised_counties(user)
    asked = request.GET.get("county") or request.POST.get("county") or ""
    county = next((c for c in counties if c.code == asked), None)
    if asked and county is None:
        raise Http404("未找到页面")  # another jurisdiction's county
    county = county or (counties[0] if counties else None)
    may_publish = county is not None and has_permission(
        user, perms.PUBLISH_SURVEY, Target.county(county.code)
    )
    form = SurveyForm(initial={"scheme_year": year})
    if request.method == "POST":
        if not may_publish or county is None:
            raise Http404("未找到页面")
        form = SurveyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            done = perform(
                form,
                lambda: actions.publish_survey(county, data["scheme_year"], title=data["title"], actor=user),
            )
            if done is not None:
                messages.success(request, "问卷已发布，村民可在手机页面作答")
                return redirect(f"{request.path}?county={county.code}&year={done.scheme_year}")
    found = Survey.objects.filter(county=county, scheme_year=year).first() if county else None
    results = []
    if found is not None and county is not None:
        towns = list(Town.objects.filter(county=county).order_by("code"))
        by_town = actions.survey_results(found, [t.pk for t in towns])
        results = [{"town": t, **by_town[t.pk]} for t in towns]
    context = {
        "year": year,
        "years": _years(year),
        "counties": counties,
        "county": county,
        "survey": found,
        "results": results,
        "themes": [
            (q["key"], q["theme"], q["text"])
            for q in (found.questions if found else [])
            if q["kind"] == "likert"
        ],
        "form": form if may_publish else None,
    }
    return render(request, "web/platform/survey.html", context)


# --- a town's figures and trend ---------------------------------------------------------------------------------------


@platform_page(SUPERVISE)
def town_trend(request, code: str):
    town = _town_or_404(request, code, perms.VIEW_TOWN_FIGURES)
    year = scheme_year_asked(request)
    line = dashboards.town_line(town, year)
    points = dashboards.town_trend(town.pk, year)
    labels = [p.as_of.isoformat() if p.kind == RollupKind.MONTHLY else "最新" for p in points]
    share_chart = {
        "labels": labels,
        "unit": "%",
        "series": [
            {
                "name": "群众参与率",
                "data": [
                    round(p.enrolled_people * 100 / p.eligible_people, 1) if p.eligible_people else 0
                    for p in points
                ],
            },
            {
                "name": "资金用尽概率",
                "data": [None if p.run_dry_bp is None else round(p.run_dry_bp / 100, 1) for p in points],
            },
        ],
    }
    money_chart = {
        "labels": labels,
        "unit": "元",
        "series": [
            {"name": "筹资收入", "data": [round(p.income_fen / 100) for p in points]},
            {"name": "已核准补助", "data": [round(p.subsidies_fen / 100) for p in points]},
            {"name": "专户余额", "data": [round(p.balance_fen / 100) for p in points]},
        ],
    }
    context = {
        "town_obj": town,
        "year": year,
        "years": _years(year),
        "line": line,
        "points": points,
        "share_chart": share_chart,
        "money_chart": money_chart,
        "warning": line is not None and line.at_risk,
    }
    return render(request, "web/platform/town.html", context)
