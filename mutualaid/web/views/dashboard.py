"""The town's home page: this scheme year at a glance (participation against targets, fund balance, claims waiting
and overdue, subsidies waiting for a payout) and two charts (participation by village, monthly income and
subsidies)."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import OPEN_STATES, Claim, ClaimState
from mutualaid.enrolment import permissions as enrolment_perms
from mutualaid.enrolment.participation import participation
from mutualaid.funds import ledger
from mutualaid.funds import permissions as fund_perms
from mutualaid.funds.chart import EXPENSE_SUBSIDIES, AccountKind, Side
from mutualaid.funds.models import JournalLine
from mutualaid.web import nav
from mutualaid.web.access import allowed, render, town_code, town_page
from mutualaid.web.views.common import current_year, scheme_years, terms_or_none

HOME_RULE = enrolment_perms.READ_PARTICIPATION

nav.register(nav.NavItem("home", "首页", "web-town-home", order=10, rule=HOME_RULE))


def monthly_money(year: int) -> dict:
    """Income received and subsidies granted per month of the scheme year's ledger (yuan, for the chart)."""
    rows = (
        JournalLine.objects.filter(scheme_year=year)
        .filter(Q(account__kind=AccountKind.INCOME) | Q(account__key=EXPENSE_SUBSIDIES))
        .annotate(month=TruncMonth("entry__entry_date"))
        .values("month", "account__kind", "side")
        .annotate(total=Sum("amount_fen"))
        .order_by("month")
    )
    months: dict[str, list[int]] = {}
    for row in rows:
        label = row["month"].strftime("%Y-%m")
        income, subsidies = months.setdefault(label, [0, 0])
        amount = row["total"]
        if row["account__kind"] == AccountKind.INCOME:
            income += amount if row["side"] == Side.CREDIT else -amount
        else:
            subsidies += amount if row["side"] == Side.DEBIT else -amount
        months[label] = [income, subsidies]
    labels = sorted(months)
    return {
        "labels": labels,
        "unit": "元",
        "series": [
            {"name": "筹资收入", "data": [round(months[m][0] / 100, 2) for m in labels]},
            {"name": "核准补助", "data": [round(months[m][1] / 100, 2) for m in labels]},
        ],
    }


@town_page(HOME_RULE)
def town_home(request):
    code = town_code(request)
    year = current_year(request)
    terms = terms_or_none(year)
    context: dict = {"year": year, "years": scheme_years(), "terms": terms}
    if terms is not None:
        villages = enrolment_perms.visible_villages(request.user, HOME_RULE, code)
        result = participation(terms, by_village=True)
        rows = [v for v in result.by_village if villages is None or v.code in villages]
        context["participation"] = result if villages is None else None
        context["village_rows"] = rows
        context["village_chart"] = {
            "labels": [v.name for v in rows],
            "unit": "人",
            "series": [
                {"name": "应参加", "data": [v.eligible_people for v in rows]},
                {"name": "已参加", "data": [v.enrolled_people for v in rows]},
            ],
        }
    if year is not None and allowed(request, fund_perms.READ_FUND_BALANCES):
        context["fund"] = ledger.year_summary(year)
        context["money_chart"] = monthly_money(year)
    if allowed(request, claim_perms.READ_CLAIMS):
        claims = Claim.objects.filter(claim_perms.visible_filter(request.user, claim_perms.READ_CLAIMS, code))
        counts = claims.aggregate(
            waiting=Count("id", filter=Q(state__in=OPEN_STATES)),
            more_info=Count("id", filter=Q(state=ClaimState.MORE_INFO)),
            approved=Count("id", filter=Q(state=ClaimState.APPROVED)),
            approved_fen=Sum("amount_fen", filter=Q(state=ClaimState.APPROVED)),
        )
        counts["overdue"] = claim_selectors.overdue_count(claims)
        context["claims"] = counts
    return render(request, "web/town/home.html", context)
