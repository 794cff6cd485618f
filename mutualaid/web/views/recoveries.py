"""Recovery of a subsidy got by fraud (骗取补助) in the console: the town admin marks a paid claim recovered (from the
claim's page or a batch line); the recoveries list with what is still owed, repayments, and a write-off requested
by one person and approved by another. Thin like the mutations: each write checks the payouts domain's Rule and calls
one action of ``mutualaid.payouts.actions``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.payouts import permissions as perms
from mutualaid.payouts import recoveries as recovery_actions
from mutualaid.payouts.models import Recovery, RecoveryState, TownNotice
from mutualaid.platform.crypto import mask_name
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, require, town_code, town_page
from mutualaid.web.views.common import fen_of
from mutualaid.web.views.payouts import ReasonForm

nav.register(
    nav.NavItem("payout-recoveries", "补助追回", "web-payout-recoveries", order=71, rule=perms.READ_BATCHES)
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RecoverForm(forms.Form):
    finding = forms.CharField(
        label=gettext_lazy("查实情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RepaymentForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("金额（元）"), max_length=20)
    paid_on = forms.DateField(label=gettext_lazy("收款日期"), widget=DATE_INPUT)


@town_page(perms.RECOVER_CLAIM)
def recover(request, claim_pk: int):
    """The town admin marks a paid claim as got by fraud (from the claim's page or a batch line)."""
    claim = Claim.objects.select_related("member__household__village").filter(pk=claim_pk).first()
    if claim is None:
        raise Http404("未找到页面")
    form = RecoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recovery = perform(
            form,
            lambda: recovery_actions.recover_claim(
                claim, finding=form.cleaned_data["finding"], actor=request.user
            ),
        )
        if recovery is not None:
            messages.success(request, "已追回并在全镇通报：该款项转为应收，登记退款见补助追回")
            return redirect("web-payout-recoveries")
    template = "web/town/partials/payout_recover.html" if request.htmx else "web/town/payout_recover.html"
    context = {"claim": claim, "form": form, "paid": claim.state == ClaimState.PAID}
    return render(request, template, context)


RECOVERY_ACTIONS = {
    "repay": perms.RECORD_REPAYMENT,
    "request_write_off": perms.REQUEST_WRITE_OFF,
    "approve_write_off": perms.APPROVE_WRITE_OFF,
}


@town_page(perms.READ_BATCHES)
def recoveries(request):
    user = request.user
    form: forms.Form = forms.Form()
    failed = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in RECOVERY_ACTIONS:
            raise Http404("未找到页面")
        require(request, RECOVERY_ACTIONS[action])
        recovery = Recovery.objects.filter(pk=request.POST.get("recovery") or 0).first()
        if recovery is None:
            raise Http404("未找到页面")
        failed = recovery.pk
        done = None
        if action == "repay":
            form = RepaymentForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data

                def repay():
                    amount = fen_of(data["amount"], "amount", allow_zero=False)
                    return recovery_actions.record_repayment(
                        recovery, amount_fen=amount, paid_on=data["paid_on"], actor=user
                    )

                done = perform(form, repay)
        elif action == "request_write_off":
            form = ReasonForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                done = perform(
                    form, lambda: recovery_actions.request_write_off(recovery, reason=reason, actor=user)
                )
        else:
            done = perform(form, lambda: recovery_actions.approve_write_off(recovery, actor=user))
        if done is not None:
            messages.success(request, "已办理")
            return redirect("web-payout-recoveries")
    items = list(Recovery.objects.all())
    claims = {
        c.pk: c for c in Claim.objects.filter(pk__in=[r.claim_id for r in items]).select_related("member")
    }
    code = town_code(request)
    rows = []
    for r in items:
        claim = claims.get(r.claim_id)
        name = claim.member.name if claim else ""
        full = claim_perms.can_in(user, claim_perms.READ_FULL_NAMES, code, r.village_code, household_id=-1)
        rows.append({"recovery": r, "name": name if full else mask_name(name), "open": r.outstanding_fen > 0})
    context = {
        "rows": rows,
        "form": form,
        "failed": failed,
        "notices": list(TownNotice.objects.all()[:20]),
        "outstanding": sum(r.outstanding_fen for r in items),
        "may_repay": allowed(request, perms.RECORD_REPAYMENT),
        "may_request": allowed(request, perms.REQUEST_WRITE_OFF),
        "may_approve": allowed(request, perms.APPROVE_WRITE_OFF),
        "repay_states": (RecoveryState.OPEN, RecoveryState.WRITE_OFF_REQUESTED),
        "today": claim_selectors.today(),
    }
    return render(request, "web/town/payout_recoveries.html", context)
