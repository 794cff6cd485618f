"""Property: any sequence of contributions, grants, donations, pledges, expenses, payments, reversals and closes
leaves every entry and every year balanced, every balance equal to the sum of its lines, the money equal to
what was posted, and a refused operation writes nothing."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mutualaid.funds import actions, ledger
from mutualaid.funds.chart import AccountKind
from mutualaid.funds.models import JournalEntry, JournalLine
from mutualaid.funds.postings import post_contribution, reverse_entry
from mutualaid.platform.audit.models import AuditEvent

YEARS = (2022, 2023)  # close(2023) opens 2024, which the checks include
years = st.sampled_from(YEARS)
amounts = st.integers(min_value=1, max_value=5_000_000)
percent = st.integers(min_value=1, max_value=120)  # settlements and payments: a share of what is owed
operations = st.one_of(
    st.tuples(
        st.just("contribution"),
        years,
        st.dictionaries(
            st.sampled_from(["person", "town_finance", "village_collective", "charity"]), amounts, min_size=1
        ),
    ),
    st.tuples(st.just("grant"), years, amounts),
    st.tuples(st.just("donation"), years, amounts),
    st.tuples(st.just("pledge"), years, amounts),
    st.tuples(st.just("settle"), years, percent),
    st.tuples(st.just("expense"), years, amounts),
    st.tuples(st.just("pay"), years, percent),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30), st.just(None)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30), st.just(None)),
    st.tuples(st.just("close"), years, st.just(None)),
)


def _apply(op, year, arg, actor, receipt_counter):
    """Run one operation; return (entry or None, effect on cash, effect on net assets)."""
    on = date(year, 6, 1) if isinstance(year, int) else None
    if op == "contribution":
        total = sum(arg.values())
        return post_contribution(year, arg, method="cash", reference="p", memo="", actor=actor), total, total
    if op == "grant":
        entry = actions.record_grant(
            year, source="charity", amount_fen=arg, grantor="老促会", received_on=on, actor=actor
        )
        return entry, arg, arg
    if op == "donation":
        receipt_counter[0] += 1
        entry = actions.record_donation(
            year,
            source="donor",
            amount_fen=arg,
            donor_name="乡贤",
            receipt_number=f"R{receipt_counter[0]}",
            received_on=on,
            actor=actor,
        )
        return entry, arg, arg
    if op == "pledge":
        entry = actions.record_pledge(
            year, source="government_grant", amount_fen=arg, grantor="农业农村局", pledged_on=on, actor=actor
        )
        return entry, 0, arg
    if op in ("settle", "pay"):
        owed = ledger.balance_of(
            year, "receivable:government_grant" if op == "settle" else "payable:subsidies"
        )
        arg = max(1, owed * arg // 100)
    if op == "settle":
        entry = actions.settle_pledge(
            year, source="government_grant", amount_fen=arg, received_on=on, actor=actor
        )
        return entry, arg, 0
    if op == "expense":
        entry = actions.accrue_expense(year, expense="subsidies", amount_fen=arg, incurred_on=on, actor=actor)
        return entry, 0, -arg
    if op == "pay":
        entry = actions.pay_payable(year, payable="subsidies", amount_fen=arg, paid_on=on, actor=actor)
        return entry, -arg, 0
    if op == "close":
        actions.close_year(year, actor)
        return None, 0, 0
    raise AssertionError(op)


def _snapshot():
    return JournalEntry.objects.count(), JournalLine.objects.count(), AuditEvent.objects.count()


def _check_invariants(expected_cash: int, expected_net: int):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred balance triggers and FK checks, now
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "SELECT e.id FROM funds_journalentry e JOIN funds_journalline l ON l.entry_id = e.id GROUP BY e.id "
            "HAVING sum(CASE WHEN l.side = 'debit' THEN l.amount_fen ELSE -l.amount_fen END) <> 0 OR count(*) < 2"
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT l.scheme_year, a.key, sum(CASE WHEN l.side = 'debit' THEN l.amount_fen ELSE 0 END), "
            "sum(CASE WHEN l.side = 'credit' THEN l.amount_fen ELSE 0 END) "
            "FROM funds_journalline l JOIN funds_account a ON a.id = l.account_id GROUP BY 1, 2"
        )
        raw = {(year, key): (debit, credit) for year, key, debit, credit in cursor.fetchall()}
    cash = net = 0
    for year in (*YEARS, YEARS[-1] + 1):
        totals = ledger.account_totals(year)
        assert sum(t.debit_fen for t in totals) == sum(t.credit_fen for t in totals)
        for t in totals:
            assert (t.debit_fen, t.credit_fen) == raw.get((year, t.account.key), (0, 0))
            assert ledger.balance_of(year, t.account.key) == t.balance_fen
        summary = ledger.year_summary(year)
        assert summary.net_assets_fen == summary.carried_forward_fen + summary.surplus_fen
        balances = {t.account.key: t.balance_fen for t in totals}
        cash += balances["bank"]
        net += sum(
            t.balance_fen if t.account.kind == AccountKind.ASSET else -t.balance_fen
            for t in totals
            if t.account.kind in (AccountKind.ASSET, AccountKind.LIABILITY)
        )
        year_row = ledger.FundYear.objects.filter(scheme_year=year).first()
        if year_row is not None and year_row.is_closed:
            assert all(value == 0 for value in balances.values()), (year, balances)
    assert (cash, net) == (expected_cash, expected_net)
    assert AuditEvent.objects.filter(action__startswith="funds.", object_type="JournalEntry").count() == (
        JournalEntry.objects.count()
    )


@settings(
    max_examples=25,
    deadline=None,
    database=None,  # no example database in the shared tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=1, max_size=12))
def test_any_sequence_keeps_the_ledger_balanced(in_dagong, finance, sequence):
    with transaction.atomic():
        effects: dict[int, tuple[int, int]] = {}
        cash = net = 0
        receipt_counter = [0]
        for op, year_or_index, arg in sequence:
            before = _snapshot()
            try:
                if op == "reverse":
                    ids = sorted(JournalEntry.objects.values_list("id", flat=True))
                    if not ids:
                        continue
                    target = ids[year_or_index % len(ids)]
                    reverse_entry(target, reason="性质测试", actor=finance)
                    d_cash, d_net = effects.get(target, (0, 0))
                    cash, net = cash - d_cash, net - d_net
                    event("posted reverse")
                    continue
                entry, d_cash, d_net = _apply(op, year_or_index, arg, finance, receipt_counter)
                if entry is not None:
                    effects[entry.id] = (d_cash, d_net)
                cash, net = cash + d_cash, net + d_net
            except ValidationError:
                assert _snapshot() == before, (op, year_or_index, arg)
                event(f"refused {op}")
            else:
                event(f"posted {op}")
        _check_invariants(cash, net)
        transaction.set_rollback(True)
