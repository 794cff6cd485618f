"""Reads of one town's own figures, run inside the town's schema: the town's own queries (participation, the fund
ledger's year summary, claims) turned into plain aggregates for the public rollup. A fixed number of queries
whatever the size of the town; no names or ids leave this module.

The claims app is read through ``claim_figures`` only (one small selector over its models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from mutualaid.claims.models import DECIDED_STATES, OPEN_STATES, Claim, ClaimState
from mutualaid.disclosure.models import Objection
from mutualaid.enrolment.models import Enrolment
from mutualaid.enrolment.participation import participation
from mutualaid.funds.chart import PAYABLE_SUBSIDIES, AccountKind, Side
from mutualaid.funds.ledger import account_totals, year_summary
from mutualaid.funds.models import FundYear, JournalLine
from mutualaid.payouts.models import Reconciliation
from mutualaid.policies.models import SchemeYear
from mutualaid.policies.selectors import policy_in_force
from mutualaid.reporting import rules


@dataclass
class TownFigures:
    scheme_year: int
    as_of: date
    has_policy: bool = False
    participation: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    review_working_days: int | None = None
    fund: dict = field(default_factory=dict)
    claims: dict = field(default_factory=dict)

    def as_fields(self) -> dict:
        return {
            "has_policy": self.has_policy,
            **self.participation,
            "policy_village_target_bp": self.targets.get("village"),
            "policy_household_target_bp": self.targets.get("household"),
            "policy_person_target_bp": self.targets.get("person"),
            "review_working_days": self.review_working_days,
            **self.fund,
            **self.claims,
        }


def scheme_years() -> list[int]:
    """The town's scheme years: those with a policy or books."""
    years = set(SchemeYear.objects.values_list("year", flat=True))
    years |= set(FundYear.objects.values_list("scheme_year", flat=True))
    return sorted(years)


def town_figures(scheme_year: int, as_of: date | None = None) -> TownFigures:
    as_of = as_of or timezone.localdate()
    figures = TownFigures(scheme_year, as_of)
    policy = policy_in_force(scheme_year, as_of)
    coverage_start = coverage_end = None
    if policy is not None:
        terms = policy.to_enrolment_terms()
        found = participation(terms)
        figures.has_policy = True
        figures.participation = {
            "villages": found.villages,
            "villages_joined": found.villages_joined,
            "eligible_people": found.eligible_people,
            "eligible_households": found.eligible_households,
            "enrolled_people": found.enrolled_people,
            "enrolled_households": found.enrolled_households,
            "eligible_households_in_joined": found.eligible_households_in_joined,
            "enrolled_households_in_joined": found.enrolled_households_in_joined,
        }
        figures.targets = {
            "village": terms.target_village_share_bp,
            "household": terms.target_household_share_bp,
            "person": terms.target_person_share_bp,
        }
        figures.review_working_days = policy.review_working_days
        coverage_start, coverage_end = policy.coverage_start, policy.coverage_end
    figures.participation["enrolments"] = Enrolment.objects.filter(scheme_year=scheme_year).count()
    figures.fund = fund_figures(scheme_year, as_of, coverage_start, coverage_end)
    figures.claims = claim_figures(scheme_year, as_of)
    return figures


def fund_figures(scheme_year: int, as_of: date, coverage_start, coverage_end) -> dict:
    summary = year_summary(scheme_year)
    payable = 0
    expense_subsidies = 0
    for row in account_totals(scheme_year):
        if row.account.key == PAYABLE_SUBSIDIES:
            payable = row.balance_fen
        if row.account.kind == AccountKind.EXPENSE and row.account.key == "expense:subsidies":
            expense_subsidies = row.balance_fen
    sides = JournalLine.objects.filter(scheme_year=scheme_year).aggregate(
        debit=Sum("amount_fen", filter=Q(side=Side.DEBIT)),
        credit=Sum("amount_fen", filter=Q(side=Side.CREDIT)),
    )
    months = 0
    if coverage_start is not None:
        months = rules.months_between(coverage_start, min(as_of, coverage_end or as_of))
    # A pledge still open after the coverage year ended is past its date (the documents pay them within it).
    overdue = summary.receivables_fen if coverage_end is not None and as_of > coverage_end else 0
    reconciliations = Reconciliation.objects.aggregate(
        months=Count("id"), differences=Count("id", filter=~Q(difference_fen=0))
    )
    return {
        "reconciled_months": reconciliations["months"],
        "reconciliation_differences": reconciliations["differences"],
        "income_fen": summary.income_fen,
        "income_by_source": {k: v for k, v in summary.income_by_source.items() if v},
        "receivables_fen": summary.receivables_fen,
        "overdue_receivables_fen": overdue,
        "payables_fen": summary.payables_fen,
        "subsidies_fen": expense_subsidies,
        "paid_out_fen": expense_subsidies - payable,
        "balance_fen": summary.bank_fen,
        "ledger_balanced": (sides["debit"] or 0) == (sides["credit"] or 0),
        "payout_months": months,
    }


class WorkingDays:
    """Working days between dates by the Chinese holiday calendar (weekdays where it has no data)."""

    def __init__(self, start: date, end: date):
        import chinese_calendar

        self.start = start
        self.index: list[int] = []
        counted, day = 0, start
        while day <= end:
            try:
                working = chinese_calendar.is_workday(day)
            except NotImplementedError:
                working = day.weekday() < 5
            counted += 1 if working else 0
            self.index.append(counted)
            day += timedelta(days=1)

    def between(self, first: date, last: date) -> int:
        """Working days after ``first`` up to and including ``last``."""
        return self.index[(last - self.start).days] - self.index[(first - self.start).days]


def _local(moment) -> date:
    return timezone.localdate(moment)


def claim_figures(scheme_year: int, as_of: date) -> dict:
    """Claims by state, decision times, timeliness, objections and subsidies against out-of-pocket costs."""
    claims = Claim.objects.filter(scheme_year=scheme_year)
    by_state = dict(claims.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    overdue = claims.filter(state__in=OPEN_STATES, due_date__lt=as_of).count()
    decided = list(
        claims.filter(decided_at__isnull=False, submitted_at__isnull=False).values_list(
            "submitted_at", "decided_at", "due_date"
        )
    )
    days: list[float] = []
    within = 0
    if decided:
        dates = [(_local(s), _local(d), due) for s, d, due in decided]
        calendar = WorkingDays(min(s for s, _, _ in dates), max(d for _, d, _ in dates))
        for submitted, decided_on, due in dates:
            days.append(calendar.between(submitted, decided_on) if decided_on >= submitted else 0)
            within += 1 if due is None or decided_on <= due else 0
    approved = list(
        claims.filter(state__in=DECIDED_STATES, decided_at__isnull=False)
        .annotate(paid_at=Min("events__at", filter=Q(events__to_state=ClaimState.PAID)))
        .values_list("decided_at", "paid_at")
    )
    due_count = paid_in_time = 0
    for decided_at, paid_at in approved:
        approved_on = _local(decided_at)
        next_month_end = _month_end(_month_end(approved_on) + timedelta(days=1))
        if paid_at is None and next_month_end >= as_of:
            continue  # its month to be paid has not ended
        due_count += 1
        paid_in_time += 1 if paid_at is not None and _local(paid_at) <= next_month_end else 0
    objections = Objection.objects.filter(
        claim_id__in=claims.values("id")
    ).count()  # 公示异议 on the year's claims
    by_drg: dict[str, list[int]] = {}
    for drg, n, subsidy, own in (
        claims.filter(state__in=(ClaimState.APPROVED, ClaimState.IN_BATCH, ClaimState.PAID))
        .values_list("drg_code")
        .annotate(n=Count("id"), subsidy=Sum("amount_fen"), own=Sum("out_of_pocket_fen"))
        .values_list("drg_code", "n", "subsidy", "own")
    ):
        by_drg[drg or "—"] = [n, subsidy or 0, own or 0]
    return {
        "claims_by_state": by_state,
        "claims_decided": len(decided),
        "claims_overdue": overdue,
        "decision_days_median": rules.percentile(days, 0.5),
        "decision_days_p90": rules.percentile(days, 0.9),
        "decided_within_limit_bp": rules.share_bp(within, len(decided)),
        "paid_next_month_bp": rules.share_bp(paid_in_time, due_count),
        "objections": objections,
        "out_of_pocket_fen": sum(v[2] for v in by_drg.values()),
        "subsidy_by_drg": by_drg,
    }


def _month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), 1 if day.month == 12 else day.month + 1, 1)
    return following - timedelta(days=1)
