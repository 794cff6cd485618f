"""Policies: the scheme years and their versions, the draft editor (every scalar parameter from the registry), the
subsidy table (upload, download, scale, preview) and publishing, with each refusal shown next to its field."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from mutualaid.platform.money import fen_to_yuan, yuan_to_fen
from mutualaid.policies import actions
from mutualaid.policies import selectors as policy_selectors
from mutualaid.policies import subsidy_table as tables
from mutualaid.policies.choices import ThresholdBasis
from mutualaid.policies.models import PolicyVersion, SchemeYear
from mutualaid.policies.parameters import AMENDMENT, PARAMETERS, Kind, Parameter
from mutualaid.policies.permissions import MANAGE_POLICY, READ_POLICY
from mutualaid.policies.solvency_checks import latest_check
from mutualaid.policies.terms import FundingShare, FundingSource
from mutualaid.policies.values import InsuranceType, Threshold
from mutualaid.web import nav
from mutualaid.web.access import add_errors, allowed, perform, render, require, town_code, town_page

nav.register(nav.NavItem("policies", "政策", "web-policies", order=20, rule=READ_POLICY))

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _translated(choices) -> list[tuple[str, object]]:
    """The registry's Chinese choice labels, looked up in the console's catalogue when the page is drawn."""
    return [(value, gettext_lazy(str(label))) for value, label in choices]


def _field(p: Parameter) -> forms.Field:
    unit = "（元）" if p.kind is Kind.FEN else "（%）" if p.kind is Kind.BP else ""
    # the registry's Chinese label, looked up in the console's catalogue when the page is drawn
    label = format_lazy("{}{}", gettext_lazy(p.label), gettext_lazy(unit) if unit else "")
    kind = p.kind
    if kind is Kind.FEN:
        return forms.CharField(label=label, required=False)
    if kind is Kind.DATE:
        return forms.DateField(label=label, required=False, widget=DATE_INPUT)
    if kind is Kind.BOOL:
        return forms.TypedChoiceField(
            label=label,
            choices=[("1", gettext_lazy("是")), ("0", gettext_lazy("否"))],
            coerce=lambda v: v == "1",
            required=False,
        )
    if kind is Kind.DAYS:
        return forms.IntegerField(label=label, required=False)
    if kind is Kind.BP:
        return forms.DecimalField(label=label, required=False, decimal_places=2)
    if kind is Kind.CHOICE:
        assert p.choices is not None
        return forms.ChoiceField(label=label, choices=_translated(p.choices.choices), required=False)
    if kind is Kind.CHOICES:
        assert p.choices is not None
        return forms.MultipleChoiceField(
            label=label,
            choices=_translated(p.choices.choices),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    return forms.CharField(label=label, required=False, max_length=200)


def parameters_of(policy: PolicyVersion) -> tuple[Parameter, ...]:
    return PARAMETERS + (AMENDMENT if policy.version > 1 else ())


def _initial(p: Parameter, value):
    if value is None:
        return None
    if p.kind is Kind.FEN:
        return fen_to_yuan(value)
    if p.kind is Kind.BP:
        return f"{value / 100:g}"
    if p.kind is Kind.BOOL:
        return "1" if value else "0"
    return value


def parameters_form(policy: PolicyVersion, data=None) -> forms.Form:
    params = parameters_of(policy)
    form_class = type("PolicyParametersForm", (forms.Form,), {p.name: _field(p) for p in params})
    initial = {p.name: _initial(p, getattr(policy, p.name)) for p in params}
    return form_class(data, initial=initial)


def _value(p: Parameter, cleaned):
    if cleaned in (None, "", []) and p.kind is not Kind.CHOICES:
        return None
    if p.kind is Kind.FEN:
        return yuan_to_fen(cleaned, field=p.name)
    if p.kind is Kind.BP:
        return int(cleaned * 100)
    if p.kind is Kind.CHOICES:
        return list(cleaned)
    return cleaned


def changes_of(policy: PolicyVersion, form: forms.Form) -> dict:
    """The parameters the form changed, as domain values (a malformed amount is a ValidationError of its field)."""
    changes, problems = {}, {}
    for p in parameters_of(policy):
        if p.name not in form.changed_data:
            continue
        try:
            changes[p.name] = _value(p, form.cleaned_data.get(p.name))
        except ValidationError as exc:
            problems.update(exc.error_dict)
    if problems:
        raise ValidationError(problems)
    return changes


class DraftForm(forms.Form):
    scheme_year = forms.IntegerField(label=gettext_lazy("互助年度"), min_value=2000, max_value=2100)
    start = forms.ChoiceField(
        label=gettext_lazy("起点"),
        choices=[
            ("blank", "空白草稿"),
            ("preset", "本镇政策文件的预设（日期移到该年度）"),
            ("copy", "复制上一年度已发布的政策"),
        ],
        initial="preset",
    )


def funding_form(policy: PolicyVersion, data=None) -> forms.Form:
    """One amount (yuan per person per year) for each funding source; empty means the source pays nothing."""
    current = {share.source: share.amount_fen for share in policy.funding_share_values()}
    fields = {
        f"share_{value}": forms.CharField(label=f"{label}（元/人·年）", required=False, max_length=12)
        for value, label in FundingSource.choices
    }
    initial = {f"share_{k}": fen_to_yuan(v) for k, v in current.items()}
    return type("FundingForm", (forms.Form,), fields)(data, initial=initial)


def threshold_form(policy: PolicyVersion, data=None) -> forms.Form:
    """The deductible (起付) of each basic-insurance status, on the basis the document names."""
    current = {t.insurance_type: t for t in policy.threshold_values()}
    fields: dict[str, forms.Field] = {}
    initial: dict[str, str] = {}
    for value, label in InsuranceType.choices:
        fields[f"threshold_{value}"] = forms.CharField(
            label=f"起付线：{label}（元）", required=False, max_length=12
        )
        fields[f"basis_{value}"] = forms.ChoiceField(
            label=gettext_lazy("计算口径"), choices=ThresholdBasis.choices
        )
        if value in current:
            initial[f"threshold_{value}"] = fen_to_yuan(current[value].amount_fen)
            initial[f"basis_{value}"] = current[value].basis
    return type("ThresholdForm", (forms.Form,), fields)(data, initial=initial)


def shares_of(form: forms.Form) -> list[FundingShare]:
    shares, problems = [], {}
    for value, _ in FundingSource.choices:
        text = (form.cleaned_data.get(f"share_{value}") or "").strip()
        if text:
            try:
                shares.append(FundingShare(value, yuan_to_fen(text, field=f"share_{value}")))
            except ValidationError as exc:
                problems.update(exc.error_dict)
    if problems:
        raise ValidationError(problems)
    return shares


def thresholds_of(form: forms.Form) -> list[Threshold]:
    rows, problems = [], {}
    for value, _ in InsuranceType.choices:
        text = (form.cleaned_data.get(f"threshold_{value}") or "").strip()
        if text:
            try:
                amount = yuan_to_fen(text, field=f"threshold_{value}")
                rows.append(Threshold(value, form.cleaned_data[f"basis_{value}"], amount))
            except ValidationError as exc:
                problems.update(exc.error_dict)
    if problems:
        raise ValidationError(problems)
    return rows


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("补助定额表（CSV 或 XLSX：DRG编码, DRG名称, 补助金额）"))


class ScaleForm(forms.Form):
    factor = forms.CharField(label=gettext_lazy("按比例调整（如 1.1 表示上调 10%）"), max_length=12)


@town_page(READ_POLICY)
def policy_list(request):
    form = DraftForm(request.POST or None)
    if request.method == "POST":
        require(request, MANAGE_POLICY)
        if form.is_valid():
            year, start = form.cleaned_data["scheme_year"], form.cleaned_data["start"]

            def create():
                if start == "preset":
                    return actions.apply_preset(
                        "auto", request.user, scheme_year=year, town_code=town_code(request)
                    )
                if start == "copy":
                    source = policy_selectors.previous_published_policy(year)
                    if source is None:
                        raise ValidationError(
                            {
                                "start": ValidationError(
                                    f"{year} 年之前没有已发布的政策可复制", code="no_previous"
                                )
                            }
                        )
                    return actions.copy_to_year(source, year, request.user)
                return actions.create_draft(year, request.user)

            policy = perform(form, create)
            if policy is not None:
                return redirect("web-policy", pk=policy.pk)
    years = SchemeYear.objects.prefetch_related("versions").order_by("-year")
    return render(
        request,
        "web/town/policies.html",
        {"years": years, "form": form, "may_manage": allowed(request, MANAGE_POLICY)},
    )


@town_page(READ_POLICY)
def policy_detail(request, pk: int):
    policy = get_object_or_404(PolicyVersion.objects.select_related("scheme_year"), pk=pk)
    may_edit = allowed(request, MANAGE_POLICY) and not policy.is_published
    form = parameters_form(policy)
    funding, thresholds = funding_form(policy), threshold_form(policy)
    upload, scale = UploadForm(), ScaleForm()
    table_errors: list[str] = []
    if request.method == "POST":
        if not may_edit:
            raise Http404("未找到页面")
        action = request.POST.get("action")
        user = request.user
        if action == "save":
            form = parameters_form(policy, request.POST)
            if form.is_valid() and perform(
                form, lambda: actions.update_draft(policy, user, **changes_of(policy, form))
            ):
                messages.success(request, "已保存")
                return redirect("web-policy", pk=pk)
        elif action == "funding":
            funding = funding_form(policy, request.POST)
            if funding.is_valid() and perform(
                funding, lambda: actions.set_funding_shares(policy, shares_of(funding), user)
            ):
                messages.success(request, "筹资结构已保存")
                return redirect("web-policy", pk=pk)
        elif action == "thresholds":
            thresholds = threshold_form(policy, request.POST)
            if thresholds.is_valid() and perform(
                thresholds, lambda: actions.set_thresholds(policy, thresholds_of(thresholds), user)
            ):
                messages.success(request, "起付线已保存")
                return redirect("web-policy", pk=pk)
        elif action == "upload":
            upload = UploadForm(request.POST, request.FILES)
            if upload.is_valid():
                f = upload.cleaned_data["file"]
                if perform(upload, lambda: actions.upload_subsidy_table(policy, f.name, f.read(), user)):
                    messages.success(request, "补助定额表已上传")
                    return redirect("web-policy", pk=pk)
        elif action == "scale":
            scale = ScaleForm(request.POST)
            if scale.is_valid() and perform(
                scale,
                lambda: actions.scale_subsidy_table(
                    policy, tables.parse_factor(scale.cleaned_data["factor"]), user
                ),
            ):
                messages.success(request, "补助定额已按比例调整")
                return redirect("web-policy", pk=pk)
        elif action == "copy":
            if perform(form, lambda: actions.copy_subsidy_table_from_previous_year(policy, user)):
                messages.success(request, "已复制上一年度的补助定额表")
                return redirect("web-policy", pk=pk)
        elif action == "publish":
            try:
                actions.publish(policy, user)
            except ValidationError as exc:
                publish_errors(form, exc, table_errors, {"funding_shares": funding, "thresholds": thresholds})
            else:
                messages.success(request, f"{policy.scheme_year.year} 年度政策第 {policy.version} 版已发布")
                return redirect("web-policy", pk=pk)
    entries = list(policy.subsidy_entries.order_by("drg_code")[:500])
    return render(
        request,
        "web/town/policy.html",
        {
            "policy": policy,
            "form": form,
            "funding": funding,
            "thresholds": thresholds,
            "upload": upload,
            "scale": scale,
            "may_edit": may_edit,
            "entries": entries,
            "entry_count": policy.subsidy_entries.count(),
            "table_errors": table_errors,
            "solvency": latest_check(policy),  # the latest simulation, shown beside the publish button
        },
    )


def publish_errors(
    form: forms.Form, exc: ValidationError, table_errors: list[str], lists: dict[str, forms.Form]
) -> None:
    """Publishing's refusals: a parameter's next to its field, a list's (funding, thresholds) above its form, the
    subsidy table's above the table, the rest above the parameters."""
    scalar: dict = {}
    for key, errors in exc.error_dict.items():
        name = key.split(".")[0].split("[")[0]
        if name in form.fields:
            scalar.setdefault(name, []).extend(errors)
        elif name == "subsidy_table":
            table_errors.extend(m for e in errors for m in e.messages)
        elif name in lists:
            add_errors(lists[name], ValidationError([m for e in errors for m in e.messages]))
        else:
            scalar.setdefault("__all__", []).extend(errors)
    if scalar:
        add_errors(form, ValidationError(scalar))
