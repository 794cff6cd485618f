"""One-click scheme design (一键设计) and the solvency simulation (偿付能力模拟) in the console.

- ``design_page``: the inputs read from the town's data (the fund available, the paid participants by age band
  and sex, the rate source), the admin's choices (reserve, weight source, an uploaded county/firm rate table), the
  designed table's preview, its simulation, and "create a draft policy version from this design" (the existing
  action ``save_design_as_draft``; a published table is never changed), which leads to the draft's editor.
- ``policy_solvency``: a policy version's own table simulated (draft or published); the outcome is recorded
  (``policies.solvency_checks``) so the policy page shows the latest one next to the publish button.

Same Rules as the GraphQL fields: reading and simulating is ``READ_POLICY`` (``schemeDesign``,
``solvencySimulation``), saving a design is ``MANAGE_POLICY`` (``schemeDesignSave``).

The simulation runs in the request, with a modest number of simulated years (2,000 by default, 5,000 at most):
a town official clicks and expects the answer on the page, and 2,000 seeded years of a 40,000-person town take
about 0.3 s with the run-dry probability within about one percentage point (its standard error is at most
√(0.25/2000) ≈ 1.1%). The command line (``mutualaid policies simulate``) runs 10,000 years with a progress bar.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy

from mutualaid.drg.catalogue import unknown_drg_codes
from mutualaid.drg.models import CityWeightTable
from mutualaid.policies import design_fund, design_rates
from mutualaid.policies import design_inputs as inputs
from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.design import DesignErrorCode, design_error
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.permissions import MANAGE_POLICY, READ_POLICY
from mutualaid.policies.solvency import MONTHS, SolvencyResult
from mutualaid.policies.solvency_checks import check_policy, latest_check
from mutualaid.web import nav
from mutualaid.web.access import add_errors, allowed, render, require, town_page
from mutualaid.web.views.common import current_year, scheme_years

nav.register(nav.NavItem("design", "一键设计", "web-design", order=22, rule=READ_POLICY))

DEFAULT_RUNS = 2_000
RUN_CHOICES = [(1_000, "1,000 次"), (2_000, "2,000 次（约 0.3 秒）"), (5_000, "5,000 次（约 1 秒）")]
TOP_GROUPS = 15
RATE_SOURCES = {
    design_rates.RateSource.OBSERVED: "本镇往年理赔",
    design_rates.RateSource.UPLOAD: "上传的住院率表",
    design_rates.RateSource.REFERENCE: "参考表（随平台提供）",
}
SEX_LABELS = {"M": "男", "F": "女"}
# Domain field names (before any "." or "[") → the form field the error belongs next to.
FIELD_OF = {
    "reserve_bp": "reserve_percent",
    "file": "rates_file",
    "rates_file": "rates_file",
    "rates": "rates_file",
    "city": "city_table",
    "weights": "weight_source",
    "weight_source": "weight_source",
    "scheme_year": "scheme_year",
    "runs": "runs",
}


def catalogue_version(policy: PolicyVersion | None) -> str:
    return (policy.drg_catalogue_version if policy is not None else "") or "chs-drg-1.1"


def city_tables(version: str) -> list[tuple[str, str]]:
    tables = CityWeightTable.objects.filter(version__code=version).order_by("city", "-year")
    return [(f"{t.city}|{t.year}", f"{t.city} {t.year} 年") for t in tables]


class DesignForm(forms.Form):
    scheme_year = forms.TypedChoiceField(label=gettext_lazy("互助年度"), coerce=int)
    reserve_percent = forms.DecimalField(
        label=gettext_lazy("预留比例（%）"), initial=Decimal(10), max_digits=7, decimal_places=2
    )
    weight_source = forms.ChoiceField(
        label=gettext_lazy("相对权重来源"),
        choices=[
            (inputs.WeightSource.CURRENT, "当前补助定额表的比例"),
            (inputs.WeightSource.CITY, "城市 DRG 相对权重（已导入的付费标准表）"),
        ],
        initial=inputs.WeightSource.CURRENT,
    )
    city_table = forms.ChoiceField(label=gettext_lazy("城市权重表（相对权重来源为城市时）"), required=False)
    rates_file = forms.FileField(
        label=gettext_lazy("县或服务机构的住院率表（可选，CSV 或 XLSX，表头：DRG编码, 每千人住院次数）"),
        required=False,
    )
    runs = forms.TypedChoiceField(
        label=gettext_lazy("模拟次数"), coerce=int, choices=RUN_CHOICES, initial=DEFAULT_RUNS
    )

    def __init__(self, *args, years: list[int], cities: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scheme_year"]).choices = [(y, f"{y} 年度") for y in years]
        cast(forms.ChoiceField, self.fields["city_table"]).choices = [("", "—"), *cities]


class SolvencyForm(forms.Form):
    runs = forms.TypedChoiceField(
        label=gettext_lazy("模拟次数"), coerce=int, choices=RUN_CHOICES, initial=DEFAULT_RUNS
    )
    rates_file = forms.FileField(
        label=gettext_lazy("县或服务机构的住院率表（可选，CSV 或 XLSX；不传则用本镇往年理赔或参考表）"),
        required=False,
    )


def design_errors(form: forms.Form, exc: ValidationError) -> None:
    """The domain's typed errors next to the form field they are about; the town's data (fund, participants,
    limits) above the form."""
    if not hasattr(exc, "error_dict"):
        add_errors(form, exc)
        return
    mapped: dict[str, list] = {}
    for key, errors in exc.error_dict.items():
        base = key.split(".")[0].split("[")[0]
        mapped.setdefault(FIELD_OF.get(base, "__all__"), []).extend(errors)
    add_errors(form, ValidationError(mapped))


# --- rates ------------------------------------------------------------------------------------------------------------


def uploaded_rates(upload, version: str) -> design_rates.RateTable:
    """A county's or firm's table (typed errors: unknown DRG codes, negative or missing values, bad rows)."""
    return design_rates.parse_rate_file(
        upload.name, upload.read(), lambda codes: unknown_drg_codes(version, codes)
    )


def kept_rates(text: str, version: str) -> design_rates.RateTable | None:
    """The table uploaded with an earlier step of the same page (kept in a hidden field), checked again."""
    if not text:
        return None
    try:
        kept = json.loads(text)
        rates = {str(code).strip().upper(): float(value) for code, value in kept["rates"].items()}
        note = str(kept.get("note", ""))[:300]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise design_error(
            "rates_file", DesignErrorCode.INVALID_ROW, "上传的住院率表已失效，请重新上传"
        ) from exc
    if not rates or any(not (value >= 0) or value == float("inf") for value in rates.values()):
        raise design_error("rates_file", DesignErrorCode.INVALID_RATE, "住院率不能为负数或缺失，请重新上传")
    unknown = unknown_drg_codes(version, rates)
    if unknown:
        raise design_error(
            "rates_file",
            DesignErrorCode.UNKNOWN_DRG_CODE,
            f"不在分组目录中的 DRG 编码：{'、'.join(sorted(unknown))}",
        )
    return design_rates.RateTable(design_rates.RateSource.UPLOAD, rates, note=note)


def rates_json(rates: design_rates.RateTable | None) -> str:
    if rates is None or rates.source != design_rates.RateSource.UPLOAD:
        return ""
    return json.dumps({"rates": rates.rates, "note": rates.note}, ensure_ascii=False)


# --- what the pages show -----------------------------------------------------------------------------------------------


def month_label(start: date | None, index: int) -> str:
    if start is None:
        return f"第 {index + 1} 个月"
    total = start.month - 1 + index
    return f"{start.year + total // 12}年{total % 12 + 1}月"


def simulation_view(result: SolvencyResult, coverage_start: date | None) -> dict:
    """The figures of a simulation, and its two charts (ECharts specs for ``web/app.js``)."""
    labels = [month_label(coverage_start, i) for i in range(MONTHS)]
    cumulative, running = [], 0.0
    for p in result.run_dry_by_month[:MONTHS]:
        running += p
        cumulative.append(round(running * 100, 2))
    likeliest = result.likeliest_run_dry_month
    quantiles = [result.p5_fen, result.p50_fen, result.mean_fen, result.p95_fen, result.p99_fen]
    return {
        "result": result,
        "percent": f"{result.run_dry_probability * 100:.1f}%",
        "runs_text": f"{result.runs:,}",
        "likeliest_month": month_label(coverage_start, likeliest - 1) if likeliest else None,
        "capped_percent": f"{result.capped_stays_share * 100:.2f}%",
        "month_chart": {
            "labels": labels,
            "unit": "%",
            "series": [
                {
                    "name": "资金在当月用完的概率",
                    "data": [round(p * 100, 2) for p in result.run_dry_by_month],
                },
                {"name": "到当月为止已用完的概率", "data": cumulative},
            ],
        },
        "payout_chart": {
            "labels": ["5% 分位", "中位数", "平均", "95% 分位", "99% 分位"],
            "unit": "元",
            "series": [
                {"name": "年补助支出", "data": [round(q / 100) for q in quantiles]},
                {"name": "资金池", "data": [round(result.fund_fen / 100)] * len(quantiles)},
            ],
        },
    }


def participants_view(participants: design_rates.Participants) -> list[dict]:
    bands: dict[str, dict] = {}
    for label, sex, n in participants.rows():
        row = bands.setdefault(label, {"band": label, "M": 0, "F": 0, "total": 0})
        row[sex if sex in SEX_LABELS else "F"] += n
        row["total"] += n
    return list(bands.values())


def design_view(outcome: inputs.DesignOutcome) -> dict:
    design, limits = outcome.design, outcome.limits
    amounts = [line.amount_fen for line in design.lines]
    ceiling = limits.ceiling_fen
    top = sorted(design.lines, key=lambda line: -line.expected_cost_fen)[:TOP_GROUPS]
    return {
        "outcome": outcome,
        "fund": outcome.fund,
        "figures": outcome.fund.figures,
        "reserve_percent": f"{outcome.fund.reserve_bp / 100:g}%",
        "participants": participants_view(outcome.participants),
        "participant_total": outcome.participants.total,
        "rate_source": RATE_SOURCES.get(outcome.rates.source, outcome.rates.source),
        "rates": outcome.rates,
        "weights": outcome.weights,
        "limits": limits,
        "design": design,
        "lines": top,
        "line_count": len(design.lines),
        "lowest_fen": min(amounts) if amounts else None,
        "highest_fen": max(amounts) if amounts else None,
        "limits_respected": bool(amounts)
        and min(amounts) >= limits.per_stay_min_fen
        and (ceiling is None or max(amounts) <= ceiling),
        "gap_per_thousand": abs(design.gap_fen) * 1000 / design.target_fen if design.target_fen else 0,
    }


def town_data_view(year: int) -> dict:
    """The town's own figures when a design could not be made (so the admin sees why)."""
    figures = design_fund.read_fund_figures(year)
    policy = PolicyVersion.objects.filter(scheme_year__year=year).order_by("-version").first()
    as_of = (policy.coverage_start if policy is not None else None) or date(year, 11, 1)
    participants = design_rates.read_paid_participants(year, as_of)
    return {
        "figures": figures,
        "participants": participants_view(participants),
        "participant_total": participants.total,
    }


# --- the pages ---------------------------------------------------------------------------------------------------------


def _design(form: forms.Form, rates: design_rates.RateTable | None) -> inputs.DesignOutcome:
    data = form.cleaned_data
    weight_source = data["weight_source"]
    city, city_year = "", None
    if weight_source == inputs.WeightSource.CITY:
        if not data.get("city_table"):
            raise design_error(
                "city", DesignErrorCode.NOT_FOUND, "请选择城市权重表（需先导入城市 DRG 付费标准表）"
            )
        city, _, year_text = data["city_table"].partition("|")
        city_year = int(year_text) if year_text.isdigit() else None
    reserve_bp = int((data["reserve_percent"] * 100).to_integral_value())
    return inputs.prepare_design(
        data["scheme_year"],
        reserve_bp=reserve_bp,
        weight_source=weight_source,
        city=city,
        city_year=city_year,
        rates=rates,
    )


@town_page(READ_POLICY)
def design_page(request):
    years = scheme_years()
    year = current_year(request)
    policy = (
        PolicyVersion.objects.filter(scheme_year__year=year).order_by("-version").first() if year else None
    )
    version = catalogue_version(policy)
    options = {"years": years, "cities": city_tables(version)}
    action = request.POST.get("action", "design") if request.method == "POST" else "design"
    if request.method == "POST":
        form = DesignForm(request.POST, request.FILES, **options)
        if action == "save":
            require(request, MANAGE_POLICY)
    else:
        initial = {"scheme_year": year, "reserve_percent": Decimal(10), "runs": DEFAULT_RUNS}
        form = DesignForm(initial | {"weight_source": inputs.WeightSource.CURRENT}, **options)
    outcome = result = rates = None
    kept = request.POST.get("uploaded_rates", "") if request.method == "POST" else ""
    if year is not None and form.is_valid():
        year = form.cleaned_data["scheme_year"]
        try:
            upload = form.cleaned_data.get("rates_file")
            rates = uploaded_rates(upload, version) if upload else kept_rates(kept, version)
            if action == "save":
                with transaction.atomic():
                    outcome = _design(form, rates)
                    draft = inputs.save_design_as_draft(outcome, request.user)
                messages.success(
                    request,
                    f"已按一键设计生成 {draft.scheme_year.year} 年度政策第 {draft.version} 版草稿（未发布，"
                    "已发布的补助表未改动）；请检查后模拟偿付能力并发布",
                )
                return redirect("web-policy", pk=draft.pk)
            outcome = _design(form, rates)
            if action == "simulate":
                result = inputs.simulate_outcome(outcome, runs=form.cleaned_data["runs"])
        except ValidationError as exc:
            design_errors(form, exc)
            outcome = result = None
    context = {
        "form": form,
        "year": year,
        "years": years,
        "may_manage": allowed(request, MANAGE_POLICY),
        "existing_draft": PolicyVersion.objects.filter(
            scheme_year__year=year, status=PolicyStatus.DRAFT
        ).first()
        if year is not None
        else None,
        "uploaded_rates": rates_json(rates) if rates is not None else kept,
        "design": design_view(outcome) if outcome is not None else None,
        "simulation": simulation_view(result, outcome.policy.coverage_start)
        if result is not None and outcome is not None
        else None,
        "town_data": town_data_view(year) if outcome is None and year is not None else None,
    }
    return render(request, "web/town/design.html", context)


@town_page(READ_POLICY)
def policy_solvency(request, pk: int):
    policy = get_object_or_404(PolicyVersion.objects.select_related("scheme_year"), pk=pk)
    form = SolvencyForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            upload = form.cleaned_data.get("rates_file")
            rates = uploaded_rates(upload, catalogue_version(policy)) if upload else None
            with transaction.atomic():
                outcome, _ = check_policy(policy, request.user, rates=rates, runs=form.cleaned_data["runs"])
        except ValidationError as exc:
            design_errors(form, exc)
        else:
            messages.success(request, "偿付能力模拟已完成")
            return redirect("web-policy-solvency", pk=pk)
    check = latest_check(policy)
    context = {
        "policy": policy,
        "form": form,
        "check": check,
        "simulation": simulation_view(check.result, policy.coverage_start) if check is not None else None,
        "rate_source": RATE_SOURCES.get(check.rate_source, check.rate_source) if check is not None else "",
        "outcome": outcome,
    }
    return render(request, "web/town/design_solvency.html", context)
