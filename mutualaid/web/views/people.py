"""Villages, households and members with search; a household's page is where a village coordinator enrols it and
collects its fee (on a phone): enrolment, contributions and adding a member all happen there."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mutualaid.claims.permissions import APPLY_CLAIM
from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import (
    Contribution,
    Enrolment,
    Household,
    InsuranceType,
    PaymentMethod,
    Relation,
    Village,
)
from mutualaid.platform.crypto import mask_name
from mutualaid.policies import selectors as policy_selectors
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, require, town_code, town_page
from mutualaid.web.forms import SearchForm
from mutualaid.web.views.common import current_year

nav.register(nav.NavItem("villages", "村与农户", "web-villages", order=30, rule=perms.READ_HOUSEHOLDS))

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def visible(request, rule, field: str) -> Q:
    codes = perms.visible_villages(request.user, rule, town_code(request))
    return Q() if codes is None else Q(**{f"{field}__in": codes})


class VillageForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("村级区划代码（12 位）"), max_length=12)
    name = forms.CharField(label=gettext_lazy("村名"), max_length=64)


@town_page(perms.READ_HOUSEHOLDS)
def villages(request):
    search = SearchForm(request.GET or None)
    form = VillageForm(request.POST or None)
    if request.method == "POST":
        require(request, perms.MANAGE_VILLAGES)
        if form.is_valid() and perform(
            form,
            lambda: actions.create_village(
                form.cleaned_data["code"], form.cleaned_data["name"], actor=request.user
            ),
        ):
            messages.success(request, "已添加村")
            return redirect("web-villages")
    village_rows = (
        Village.objects.filter(visible(request, perms.READ_HOUSEHOLDS, "code"))
        .annotate(households_count=Count("households"))
        .order_by("code")
    )
    households = None
    q = search.cleaned_data.get("q", "").strip() if search.is_valid() else ""
    village_code = request.GET.get("village", "")
    if q or village_code:
        households = Household.objects.filter(visible(request, perms.READ_HOUSEHOLDS, "village__code"))
        if village_code:
            households = households.filter(village__code=village_code)
        if q:
            households = households.filter(
                Q(number__icontains=q) | Q(members__name__icontains=q) | Q(address__icontains=q)
            ).distinct()
        households = households.select_related("village", "head").order_by("village__code", "number")[:100]
    context = {
        "villages": village_rows,
        "search": search,
        "households": households,
        "form": form,
        "may_add_village": allowed(request, perms.MANAGE_VILLAGES),
    }
    template = "web/town/partials/households.html" if request.htmx else "web/town/villages.html"
    return render(request, template, context)


class MemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    id_number = forms.CharField(label=gettext_lazy("身份证号"), max_length=18)
    relation = forms.ChoiceField(label=gettext_lazy("与户主关系"), choices=Relation.choices)
    insurance_type = forms.ChoiceField(label=gettext_lazy("基本医保"), choices=InsuranceType.choices)
    registered_on = forms.DateField(label=gettext_lazy("户籍登记日期"), widget=DATE_INPUT)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False)


class ContributionForm(forms.Form):
    enrolment = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=gettext_lazy("收款方式"), choices=PaymentMethod.choices)
    receipt_number = forms.CharField(label=gettext_lazy("收据号"), max_length=64)
    reference = forms.CharField(label=gettext_lazy("转账/支付流水号"), max_length=100, required=False)
    received_on = forms.DateField(label=gettext_lazy("收款日期"), widget=DATE_INPUT, required=False)


def _household(request, pk: int) -> Household:
    household = Household.objects.select_related("village", "head").filter(pk=pk).first()
    if household is None or not allowed(request, perms.READ_HOUSEHOLDS, household.village.code):
        raise Http404("未找到页面")
    return household


@town_page(perms.READ_HOUSEHOLDS)
def household(request, pk: int):
    house = _household(request, pk)
    village = house.village.code
    user = request.user
    member_form = MemberForm(request.POST if request.POST.get("action") == "member" else None)
    pay_form = ContributionForm(request.POST if request.POST.get("action") == "pay" else None)
    enrol_errors = MemberForm()  # carries the refusals of enrolling (non-field errors)
    year = current_year(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "member":
            require(request, perms.MANAGE_ROSTER, village)
            if member_form.is_valid() and perform(
                member_form, lambda: actions.add_member(house, actor=user, **member_form.cleaned_data)
            ):
                messages.success(request, "已添加成员")
                return redirect("web-household", pk=pk)
        elif action == "enrol" and year is not None:
            require(request, perms.ENROL_HOUSEHOLDS, village)

            def enrol():
                terms = policy_selectors.enrolment_terms(year)
                return actions.enrol_households([house], terms, now=timezone.now(), actor=user)

            if perform(enrol_errors, enrol):
                messages.success(request, f"已参加 {year} 互助年度")
                return redirect("web-household", pk=pk)
        elif action == "pay":
            require(request, perms.RECORD_CONTRIBUTION, village)
            if pay_form.is_valid():
                data = dict(pay_form.cleaned_data)
                enrolment = get_object_or_404(Enrolment, pk=data.pop("enrolment"), household=house)

                def pay():
                    terms = policy_selectors.enrolment_terms(enrolment.scheme_year)
                    return actions.record_contribution(enrolment, terms=terms, actor=user, **data)

                if perform(pay_form, pay):
                    messages.success(request, "已记录收款")
                    return redirect("web-household", pk=pk)
    members = list(house.members.order_by("pk"))
    masked = {m.pk: mask_name(m.name) for m in members}
    enrolments = list(
        house.enrolments.order_by("-scheme_year").prefetch_related(
            Prefetch("contributions", to_attr="payments"), "members__member"
        )
    )
    outstanding = {e.pk: sum(actions.outstanding_by_source(e).values()) for e in enrolments}
    context = {
        "masked": masked,
        "outstanding": outstanding,
        "household": house,
        "members": members,
        "full_names": perms.sees_full_names(user, town_code(request), village),
        "enrolments": enrolments,
        "year": year,
        "enrolled_this_year": any(e.scheme_year == year for e in enrolments),
        "member_form": member_form,
        "pay_form": pay_form,
        "enrol_errors": enrol_errors,
        "may_manage": allowed(request, perms.MANAGE_ROSTER, village),
        "may_enrol": allowed(request, perms.ENROL_HOUSEHOLDS, village),
        "may_pay": allowed(request, perms.RECORD_CONTRIBUTION, village),
        "may_claim": allowed(request, APPLY_CLAIM, village),
    }
    return render(request, "web/town/household.html", context)


nav.register(nav.NavItem("enrolment", "参加与交费", "web-enrolment", order=40, rule=perms.READ_ENROLMENT))


def received_by_enrolment(ids: list[int]) -> dict[int, dict[str, int]]:
    """Money received (not reversed) per enrolment and source, for a page of enrolments in one query (the same
    sum as ``actions.received_by_source``)."""
    totals: dict[int, dict[str, int]] = {}
    rows = Contribution.objects.filter(enrolment_id__in=ids, reversal__isnull=True).values_list(
        "enrolment_id", "amounts_by_source"
    )
    for enrolment_id, amounts in rows:
        into = totals.setdefault(enrolment_id, {})
        for source, fen in amounts.items():
            into[source] = into.get(source, 0) + fen
    return totals


@town_page(perms.READ_ENROLMENT)
def enrolment(request):
    year = current_year(request)
    rows = (
        Enrolment.objects.filter(scheme_year=year)
        .filter(visible(request, perms.READ_ENROLMENT, "household__village__code"))
        .select_related("household__village", "household__head")
        .order_by("household__village__code", "household__number")
    )
    rows = list(rows[:300])
    received = received_by_enrolment([e.pk for e in rows])
    for e in rows:
        got = received.get(e.pk, {})
        e.outstanding_fen = sum(max(due - got.get(source, 0), 0) for source, due in e.due_by_source.items())
    if request.GET.get("unpaid"):
        rows = [e for e in rows if e.outstanding_fen]
    context = {
        "rows": rows,
        "year": year,
        "unpaid": request.GET.get("unpaid"),
        "may_open_households": allowed(request, perms.READ_HOUSEHOLDS),
    }
    return render(request, "web/town/enrolment.html", context)
