"""Bank reconciliation (银行对账, issue 16 item 8a) in the console: town finance imports the dedicated account's
statement for a month, sees matched, ledger-only and bank-only lines, and books a bank-only line with a reason; the
month closes when the difference is zero. Thin like the mutations: one action of ``mutualaid.payouts.actions``."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from mutualaid.payouts import permissions as perms
from mutualaid.payouts import reconciliation as reconciliation_actions
from mutualaid.payouts.models import Reconciliation
from mutualaid.web import nav
from mutualaid.web.access import perform, render, town_page
from mutualaid.web.views.common import current_year

nav.register(
    nav.NavItem(
        "payout-reconciliation", "银行对账", "web-payout-reconciliation", order=72, rule=perms.RECONCILE_BANK
    )
)


class StatementForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("对账月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2023-04"}),
    )
    file = forms.FileField(
        label=gettext_lazy("专户银行对账单（csv 或 xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class BookForm(forms.Form):
    row = forms.IntegerField(widget=forms.HiddenInput)
    scheme_year = forms.IntegerField(label=gettext_lazy("记入互助年度"))
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200)


def _month(text: str) -> date:
    """“2023-04” (a month input) as its first day, or a typed error of ``month``."""
    try:
        return date.fromisoformat(f"{(text or '').strip()[:7]}-01")
    except ValueError as exc:
        raise ValidationError(
            {"month": ValidationError("月份格式不正确（例如 2023-04）", code="invalid_month")}
        ) from exc


@town_page(perms.RECONCILE_BANK)
def reconciliation(request):
    user = request.user
    upload, book = StatementForm(), BookForm(initial={"scheme_year": current_year(request)})
    failed_row = None
    if request.method == "POST":
        if request.POST.get("action") == "book":
            book = BookForm(request.POST)
            failed_row = book.data.get("row")
            if book.is_valid():
                data = book.cleaned_data

                def book_line():
                    return reconciliation_actions.book_statement_line(
                        _month(request.POST.get("month", "")),
                        data["row"],
                        scheme_year=data["scheme_year"],
                        reason=data["reason"],
                        actor=user,
                    )

                recon = perform(book, book_line)
                if recon is not None:
                    messages.success(request, "已据对账单补记入账")
                    return redirect(f"{reverse('web-payout-reconciliation')}?month={recon.month:%Y-%m}")
        else:
            upload = StatementForm(request.POST, request.FILES)
            if upload.is_valid():
                f = upload.cleaned_data["file"]

                def reconcile():
                    return reconciliation_actions.reconcile(
                        _month(upload.cleaned_data["month"]), f.read(), file_name=f.name or "", actor=user
                    )

                recon = perform(upload, reconcile)
                if recon is not None:
                    messages.success(request, "对账完成，本月已关账" if recon.closed else "已导入对账单")
                    return redirect(f"{reverse('web-payout-reconciliation')}?month={recon.month:%Y-%m}")
    months = list(Reconciliation.objects.all())
    chosen = None
    asked = request.GET.get("month") or request.POST.get("month") or ""
    if asked:
        try:
            chosen = next((r for r in months if r.month == _month(asked)), None)
        except ValidationError:
            chosen = None
    if chosen is None and months:
        chosen = months[0]
    context = {
        "months": months,
        "recon": chosen,
        "upload": upload,
        "book": book,
        "failed_row": int(failed_row) if str(failed_row or "").isdigit() else None,
    }
    return render(request, "web/town/payout_reconciliation.html", context)
