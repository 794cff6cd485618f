"""The fund available for a scheme year, read from the town's own ledger for the one-click design (一键设计).

The fund available is carry-over + income of the scheme year (received, and receivables due in it) − subsidies
already booked − the service fee by the policy (a share of the year's income, or an amount per participant) where
the policy pays it from the fund (``service_fee_from_fund``; where the town's budget pays the firm nothing is taken
off, and the note says so) − a reserve the admin chooses (basis points of what is left, e.g. 1000 = 10%).

The policies app sits below funds in the layer order, so the figures are read with one SQL query over the ledger's
tables (``read_fund_figures``); a test holds them equal to ``funds.ledger.year_summary``, so a change there fails a
test, not the design.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies.choices import ServiceFeeKind
from mutualaid.policies.design import DesignErrorCode, design_error

MAX_RESERVE_BP = 10_000


@dataclass(frozen=True)
class FundFigures:
    scheme_year: int
    carried_forward_fen: int
    income_fen: int  # the year's income by the ledger, receivables due in the year included
    receivables_fen: int  # of which not received yet
    subsidies_booked_fen: int  # subsidies already booked as expenses of the year

    @property
    def received_fen(self) -> int:
        return self.income_fen - self.receivables_fen


@dataclass(frozen=True)
class FundAvailable:
    figures: FundFigures
    service_fee_fen: int  # taken off the fund: the policy's fee where the fund pays it, else 0
    reserve_bp: int
    reserve_fen: int
    fee_from_fund: bool = True  # the policy's ``service_fee_from_fund``
    policy_fee_fen: int | None = None  # the fee by the policy, whoever pays it (None: as ``service_fee_fen``)

    @property
    def pool_fen(self) -> int:
        """The money of the year for subsidies before the reserve (the pool the simulation draws on)."""
        f = self.figures
        return f.carried_forward_fen + f.income_fen - f.subsidies_booked_fen - self.service_fee_fen

    @property
    def available_fen(self) -> int:
        """The target spend of the design: the pool less the reserve."""
        return self.pool_fen - self.reserve_fen


def check_reserve(reserve_bp) -> int:
    if isinstance(reserve_bp, bool) or not isinstance(reserve_bp, int):
        raise design_error("reserve_bp", DesignErrorCode.RESERVE_OUT_OF_RANGE, "预留比例必须是整数基点")
    if not 0 <= reserve_bp < MAX_RESERVE_BP:
        raise design_error(
            "reserve_bp", DesignErrorCode.RESERVE_OUT_OF_RANGE, "预留比例必须在 0 至 100%（不含 100%）之间"
        )
    return reserve_bp


def service_fee_fen(
    kind: str, bp: int | None, per_person_fen: int | None, income_fen: int, participants: int
) -> int:
    if kind == ServiceFeeKind.PERCENT and bp:
        return income_fen * bp // 10_000
    if kind == ServiceFeeKind.PER_PERSON and per_person_fen:
        return participants * per_person_fen
    return 0


def fund_available(
    figures: FundFigures, *, service_fee_fen: int, reserve_bp: int, fee_from_fund: bool = True
) -> FundAvailable:
    """What the year can spend on subsidies: ``service_fee_fen`` (the policy's fee) is taken off only where the
    fund pays it (``fee_from_fund``); where the town's budget pays the firm the fund keeps it."""
    check_reserve(reserve_bp)
    policy_fee_fen = service_fee_fen
    service_fee_fen = service_fee_fen if fee_from_fund else 0
    before_reserve = (
        figures.carried_forward_fen + figures.income_fen - figures.subsidies_booked_fen - service_fee_fen
    )
    if before_reserve <= 0:
        raise design_error(
            "fund_available_fen",
            DesignErrorCode.NO_FUNDS,
            f"{figures.scheme_year}互助年度没有可用于补助的资金（上年结转、本年筹资"
            f"{'扣除服务费' if fee_from_fund else ''}后为 {fen_to_yuan(before_reserve)} 元）",
        )
    reserve = before_reserve * reserve_bp // 10_000
    return FundAvailable(figures, service_fee_fen, reserve_bp, reserve, fee_from_fund, policy_fee_fen)


def read_fund_figures(scheme_year: int) -> FundFigures:
    """The scheme year's ledger as ``funds.ledger.year_summary`` sums it (closing and carry-forward entries left
    out), in one query over the funds app's tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.kind, a.key,
                   COALESCE(SUM(CASE WHEN l.side = 'debit' THEN l.amount_fen ELSE -l.amount_fen END), 0)
              FROM funds_journalline l
              JOIN funds_account a ON a.id = l.account_id
              JOIN funds_journalentry e ON e.id = l.entry_id
             WHERE l.scheme_year = %s AND e.kind NOT IN ('closing', 'carry_forward')
             GROUP BY a.kind, a.key
            """,
            [scheme_year],
        )
        rows = cursor.fetchall()
    income = receivables = carried = subsidies = 0
    for kind, key, debit_minus_credit in rows:
        amount = int(debit_minus_credit)
        if kind == "income":
            income -= amount
        elif kind == "asset" and key.startswith("receivable:"):
            receivables += amount
        elif key == "net_assets:carried_forward":
            carried -= amount
        elif key == "expense:subsidies":
            subsidies += amount
    return FundFigures(scheme_year, carried, income, receivables, subsidies)
