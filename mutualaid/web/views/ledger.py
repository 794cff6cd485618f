"""The fund ledger: the scheme year's trial balance, and an account's statement with its running balance."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404

from mutualaid.funds import ledger
from mutualaid.funds import permissions as perms
from mutualaid.funds.chart import CHART_BY_KEY
from mutualaid.web import nav
from mutualaid.web.access import render, town_page
from mutualaid.web.views.common import current_year, scheme_years

nav.register(nav.NavItem("ledger", "资金台账", "web-ledger", order=60, rule=perms.READ_FUND_LEDGER))


@town_page(perms.READ_FUND_LEDGER)
def trial_balance(request):
    year = current_year(request)
    rows = ledger.account_totals(year) if year is not None else []
    totals = {"debit": sum(r.debit_fen for r in rows), "credit": sum(r.credit_fen for r in rows)}
    summary = ledger.year_summary(year) if year is not None else None
    return render(
        request,
        "web/town/ledger.html",
        {"rows": rows, "totals": totals, "year": year, "years": scheme_years(), "summary": summary},
    )


@town_page(perms.READ_FUND_LEDGER)
def statement(request, key: str):
    account = CHART_BY_KEY.get(key)
    year = current_year(request)
    if account is None or year is None:
        raise Http404("未找到页面")
    page = Paginator(ledger.statement_queryset(year, key), 100).get_page(request.GET.get("page"))
    return render(request, "web/town/statement.html", {"account": account, "page": page, "year": year})
