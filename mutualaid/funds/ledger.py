"""The posting engine and balance selectors. Domain actions (postings.py, actions.py) build lines and call
``post``; nothing else writes journal rows.

Concurrency: every posting of a scheme year first locks that year's ``FundYear`` row (created on first use with
INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR UPDATE), so entry numbers, balance checks ("enough in the
bank?") and the year's open/closed state are read and written by one posting at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from mutualaid.funds.chart import CHART_BY_KEY, AccountKind, Side, chart
from mutualaid.funds.error_codes import FundsErrorCode as Code
from mutualaid.funds.models import Account, EntryKind, FundYear, JournalEntry, JournalLine
from mutualaid.funds.rules import invalid
from mutualaid.platform import crypto
from mutualaid.platform.audit.actions import record_event

LINE_LIMIT_FEN = 2**62  # far below bigint overflow of a year's sums


@dataclass(frozen=True)
class Line:
    account: str  # an account key of the chart
    side: str
    amount_fen: int


def debit(account: str, amount_fen: int) -> Line:
    return Line(account, Side.DEBIT, amount_fen)


def credit(account: str, amount_fen: int) -> Line:
    return Line(account, Side.CREDIT, amount_fen)


def signed(account: str, amount_fen: int) -> Line | None:
    """A line moving ``amount_fen`` into the account's normal side (negative: the other side); None for 0."""
    if amount_fen == 0:
        return None
    normal = CHART_BY_KEY[account].normal_side
    other = Side.CREDIT if normal == Side.DEBIT else Side.DEBIT
    return Line(account, normal if amount_fen > 0 else other, abs(amount_fen))


def today() -> date:
    return timezone.localdate()


def ensure_chart() -> dict[str, Account]:
    """The chart's accounts by key, adding any the code defines and this schema lacks."""
    accounts = {a.key: a for a in Account.objects.all()}
    missing = [d for d in chart() if d.key not in accounts]
    if missing:
        Account.objects.bulk_create(
            [
                Account(
                    code=d.code,
                    key=d.key,
                    name=d.name,
                    kind=d.kind,
                    normal_side=d.normal_side,
                    source=d.source,
                )
                for d in missing
            ],
            ignore_conflicts=True,
        )
        accounts = {a.key: a for a in Account.objects.all()}
    return accounts


def lock_year(scheme_year: int) -> FundYear:
    """Lock (creating if needed) the scheme year's row for the rest of the transaction."""
    FundYear.objects.bulk_create([FundYear(scheme_year=scheme_year)], ignore_conflicts=True)
    return FundYear.objects.select_for_update().get(scheme_year=scheme_year)


def require_open(year: FundYear, field: str = "scheme_year") -> None:
    if year.is_closed:
        raise invalid(
            field, f"{year.scheme_year}互助年度已结账，不能再记账；请在下一年度处理", Code.YEAR_CLOSED
        )


def check_lines(lines: Iterable[Line | None]) -> list[Line]:
    result = [line for line in lines if line is not None]
    if len(result) < 2:
        raise invalid("lines", "凭证至少需要两行分录", Code.UNBALANCED)
    for line in result:
        if line.account not in CHART_BY_KEY:
            raise invalid("lines", f"未知科目：{line.account}", Code.INVALID)
        if line.side not in (Side.DEBIT, Side.CREDIT):
            raise invalid("lines", f"借贷方向不正确：{line.side}", Code.INVALID)
        # Inputs are capped by the actions (1 亿元, money.MAX_FEN); lines the close computes may sum many inputs.
        amount = line.amount_fen
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < LINE_LIMIT_FEN:
            raise invalid("lines", f"分录金额不正确：{amount!r}", Code.INVALID_AMOUNT)
    debits = sum(line.amount_fen for line in result if line.side == Side.DEBIT)
    credits = sum(line.amount_fen for line in result if line.side == Side.CREDIT)
    if debits != credits:
        raise invalid("lines", f"借贷不平衡：借方 {debits} 分，贷方 {credits} 分", Code.UNBALANCED)
    if debits >= LINE_LIMIT_FEN:
        raise invalid("lines", "凭证金额超出范围", Code.INVALID_AMOUNT)
    return result


def post(
    year: FundYear,
    kind: str,
    lines: Iterable[Line | None],
    *,
    entry_date: date,
    actor,
    memo: str = "",
    reference: str = "",
    method: str = "",
    counterparty: str = "",
    receipt_number: str = "",
    reverses: JournalEntry | None = None,
    reason: str = "",
    audit: dict | None = None,
) -> JournalEntry:
    """Write one balanced entry in ``year`` (locked by the caller with ``lock_year``). Callers validate inputs
    first and run inside ``transaction.atomic``."""
    checked = check_lines(lines)
    accounts = ensure_chart()
    number = year.next_number
    year.next_number = number + 1
    year.save(update_fields=["next_number"])
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    total = sum(line.amount_fen for line in checked if line.side == Side.DEBIT)
    entry = JournalEntry(
        scheme_year=year.scheme_year,
        number=number,
        kind=kind,
        entry_date=entry_date,
        memo=memo,
        reference=reference,
        method=method,
        counterparty=counterparty,
        receipt_number=receipt_number,
        total_fen=total,
        line_count=len(checked),
        reverses=reverses,
        reason=reason,
        created_by_id=actor.pk if authenticated else None,
        created_by_username=actor.get_username() if authenticated else "",
    )
    entry.save()
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=entry,
                scheme_year=year.scheme_year,
                account=accounts[line.account],
                side=line.side,
                amount_fen=line.amount_fen,
            )
            for line in checked
        ]
    )
    # Let PostgreSQL check this entry now (the constraint triggers are deferred to commit otherwise), then
    # defer again so the next entry's lines may be inserted one by one.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS funds_entry_balanced, funds_line_balanced IMMEDIATE")
        cursor.execute("SET CONSTRAINTS funds_entry_balanced, funds_line_balanced DEFERRED")
    record_event(
        actor,
        f"funds.{kind}",
        entry,
        {
            "scheme_year": year.scheme_year,
            "voucher": entry.voucher,
            "kind": kind,
            "entry_date": entry_date.isoformat(),
            "total_fen": total,
            "lines": [[line.account, line.side, line.amount_fen] for line in checked],
            "reference": reference,
            "method": method,
            "counterparty": crypto.mask_name(counterparty) if counterparty else "",
            "receipt_number": receipt_number,
            "reverses": reverses.pk if reverses else None,
            "reason": reason,
            **(audit or {}),
        },
    )
    return entry


# --- balances ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBalance:
    account: Account
    debit_fen: int
    credit_fen: int

    @property
    def balance_fen(self) -> int:
        """Signed by the account's normal side: positive is a normal balance (an asset held, income earned)."""
        if self.account.normal_side == Side.DEBIT:
            return self.debit_fen - self.credit_fen
        return self.credit_fen - self.debit_fen


def account_totals(scheme_year: int, *, exclude_kinds: Iterable[str] = ()) -> list[AccountBalance]:
    """Every account of the chart with the year's debit and credit totals, in code order (one query)."""
    ensure_chart()
    line_filter = Q(lines__scheme_year=scheme_year)
    exclude_kinds = list(exclude_kinds)
    if exclude_kinds:
        line_filter &= ~Q(lines__entry__kind__in=exclude_kinds)
    rows = Account.objects.annotate(
        debit_fen=Coalesce(
            Sum("lines__amount_fen", filter=line_filter & Q(lines__side=Side.DEBIT)), Value(0)
        ),
        credit_fen=Coalesce(
            Sum("lines__amount_fen", filter=line_filter & Q(lines__side=Side.CREDIT)), Value(0)
        ),
    ).order_by("code")
    return [AccountBalance(row, row.debit_fen, row.credit_fen) for row in rows]


def balance_of(scheme_year: int, key: str) -> int:
    account = CHART_BY_KEY[key]
    totals = JournalLine.objects.filter(scheme_year=scheme_year, account__key=key).aggregate(
        debit=Coalesce(Sum("amount_fen", filter=Q(side=Side.DEBIT)), Value(0)),
        credit=Coalesce(Sum("amount_fen", filter=Q(side=Side.CREDIT)), Value(0)),
    )
    if account.normal_side == Side.DEBIT:
        return totals["debit"] - totals["credit"]
    return totals["credit"] - totals["debit"]


@dataclass(frozen=True)
class YearSummary:
    scheme_year: int
    bank_fen: int
    receivables_fen: int  # every asset but the bank: pledged grants and members' recovered subsidies
    payables_fen: int
    income_fen: int
    expenses_fen: int
    carried_forward_fen: int  # 上年结转 received at the start of the year
    income_by_source: dict[str, int]

    @property
    def surplus_fen(self) -> int:
        """本年结余: income − expenses (expenses include approved but unpaid subsidies and fees, the payables)."""
        return self.income_fen - self.expenses_fen

    @property
    def net_assets_fen(self) -> int:
        return self.bank_fen + self.receivables_fen - self.payables_fen


def year_summary(scheme_year: int) -> YearSummary:
    """The year's position before closing: closing and carry-forward entries are left out, so a closed year still
    shows what it earned and spent."""
    totals = account_totals(scheme_year, exclude_kinds=(EntryKind.CLOSING, EntryKind.CARRY_FORWARD))
    by_kind: dict[str, int] = {}
    income_by_source: dict[str, int] = {}
    bank = carried = 0
    for row in totals:
        by_kind[row.account.kind] = by_kind.get(row.account.kind, 0) + row.balance_fen
        if row.account.kind == AccountKind.INCOME:
            income_by_source[row.account.source] = row.balance_fen
        if row.account.key == "bank":
            bank = row.balance_fen
        if row.account.key == "net_assets:carried_forward":
            carried = row.balance_fen
    return YearSummary(
        scheme_year=scheme_year,
        bank_fen=bank,
        receivables_fen=by_kind.get(AccountKind.ASSET, 0) - bank,
        payables_fen=by_kind.get(AccountKind.LIABILITY, 0),
        income_fen=by_kind.get(AccountKind.INCOME, 0),
        expenses_fen=by_kind.get(AccountKind.EXPENSE, 0),
        carried_forward_fen=carried,
        income_by_source=income_by_source,
    )


def statement_queryset(scheme_year: int, key: str):
    """The account's lines in the year, oldest first, each with ``running_fen``: the balance after the line
    (signed by the account's normal side). The window runs before LIMIT/OFFSET, so pages keep the right balance."""
    account = CHART_BY_KEY[key]
    sign = 1 if account.normal_side == Side.DEBIT else -1
    signed_amount = Case(When(side=Side.DEBIT, then=F("amount_fen") * sign), default=F("amount_fen") * -sign)
    order = [F("entry__entry_date").asc(), F("entry__number").asc(), F("id").asc()]
    return (
        JournalLine.objects.filter(scheme_year=scheme_year, account__key=key)
        .select_related("entry")
        .annotate(running_fen=Window(Sum(signed_amount), order_by=order))
        .order_by(*order)
    )


def reference_balance(key: str, reference: str) -> int:
    """The balance the entries carrying ``reference`` left on account ``key``, over every scheme year (signed by
    the account's normal side). Year-end entries are left out: they move an account's whole balance from one year
    to the next without references, so what one business item (a recovery) owes is the sum of its own entries
    wherever the close has carried the account."""
    account = CHART_BY_KEY[key]
    totals = (
        JournalLine.objects.filter(account__key=key, entry__reference=reference)
        .exclude(entry__kind__in=[EntryKind.CLOSING, EntryKind.CARRY_FORWARD, EntryKind.OPENING])
        .aggregate(
            debit=Coalesce(Sum("amount_fen", filter=Q(side=Side.DEBIT)), Value(0)),
            credit=Coalesce(Sum("amount_fen", filter=Q(side=Side.CREDIT)), Value(0)),
        )
    )
    if account.normal_side == Side.DEBIT:
        return totals["debit"] - totals["credit"]
    return totals["credit"] - totals["debit"]


def first_open_year(scheme_year: int) -> FundYear:
    """Lock and return the scheme year's row, or — when it is closed — the first later open year's (its balances
    were carried there), locking years in ascending order like every posting."""
    year = lock_year(scheme_year)
    while year.is_closed:
        year = lock_year(year.scheme_year + 1)
    return year


def entries_count(scheme_year: int) -> int:
    return JournalEntry.objects.filter(scheme_year=scheme_year).aggregate(n=Count("id"))["n"]
