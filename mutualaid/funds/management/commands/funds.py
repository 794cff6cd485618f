"""mutualaid funds balance CODE YEAR — print a town's fund summary and trial balance (read-only)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mutualaid.funds import ledger
from mutualaid.funds.models import EntryKind, FundYear
from mutualaid.platform.money import fen_to_yuan
from mutualaid.tenants.models import Town


class Command(BaseCommand):
    help = "互助资金池：打印某镇某互助年度的资金余额与试算平衡表"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        balance = sub.add_parser("balance", help="资金余额与试算平衡表")
        balance.add_argument("code", help="9 位乡镇区划代码")
        balance.add_argument("year", type=int, help="互助年度，如 2022")
        balance.add_argument("--before-closing", action="store_true", help="不含年终结账与结转凭证")

    def handle(self, *args, action, code, year, before_closing=False, **options):
        town = Town.objects.filter(code=code).first()
        if town is None:
            raise CommandError(f"未找到乡镇 {code}")
        connection.set_tenant(town)
        try:
            self._balance(town, year, before_closing)
        finally:
            connection.set_schema_to_public()

    def _balance(self, town, year: int, before_closing: bool) -> None:
        fund_year = FundYear.objects.filter(scheme_year=year).first()
        status = fund_year.get_status_display() if fund_year else "未记账"
        s = ledger.year_summary(year)
        out = self.stdout.write
        out(f"{town.name} {year} 互助年度（{status}）")
        for label, fen in (
            ("银行存款", s.bank_fen),
            ("应收款", s.receivables_fen),
            ("应付款", s.payables_fen),
            ("上年结转", s.carried_forward_fen),
            ("本年收入", s.income_fen),
            ("本年支出", s.expenses_fen),
            ("本年结余", s.surplus_fen),
            ("基金余额", s.net_assets_fen),
        ):
            out(f"  {label:<8}{fen_to_yuan(fen):>16}")
        excluded = (EntryKind.CLOSING, EntryKind.CARRY_FORWARD) if before_closing else ()
        rows = ledger.account_totals(year, exclude_kinds=excluded)
        out("\n试算平衡表" + ("（结账前）" if before_closing else ""))
        out(f"  {'科目':<28}{'借方':>16}{'贷方':>16}{'余额':>16}")
        for row in rows:
            if row.debit_fen or row.credit_fen:
                name = f"{row.account.code} {row.account.name}"
                out(
                    f"  {name:<28}{fen_to_yuan(row.debit_fen):>16}{fen_to_yuan(row.credit_fen):>16}"
                    f"{fen_to_yuan(row.balance_fen):>16}"
                )
        debit, credit = sum(r.debit_fen for r in rows), sum(r.credit_fen for r in rows)
        out(f"  {'合计':<28}{fen_to_yuan(debit):>16}{fen_to_yuan(credit):>16}")
        out("  借贷平衡" if debit == credit else "  借贷不平衡！")
