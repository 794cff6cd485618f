"""The town's fund-pool ledger (资金池台账): a fixed chart of accounts, one lockable row per scheme year, and
append-only balanced journal entries in integer fen.

Immutability and balance are enforced twice: here (save/delete/update raise) and in PostgreSQL (triggers in
migration 0001: UPDATE/DELETE raise; a deferred constraint trigger checks at commit that every entry's lines
match the totals its header declares, debit = credit, at least two lines, all in the entry's scheme year).
"""

from __future__ import annotations

from django.db import models

from mutualaid.funds.chart import AccountKind, Side


class ImmutableError(Exception):
    """Raised on any attempt to edit or delete a posted journal row."""


class Account(models.Model):
    code = models.CharField("科目代码", max_length=8, unique=True)
    key = models.CharField("科目键", max_length=48, unique=True)
    name = models.CharField("科目名称", max_length=64)
    kind = models.CharField("类别", max_length=16, choices=AccountKind.choices)
    normal_side = models.CharField("余额方向", max_length=6, choices=Side.choices)
    source = models.CharField("资金来源", max_length=32, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "会计科目"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FundYearStatus(models.TextChoices):
    OPEN = "open", "未结账"
    CLOSED = "closed", "已结账"


class FundYear(models.Model):
    """One pool per scheme year (互助年度). Every posting of the year locks this row (select_for_update)."""

    scheme_year = models.IntegerField("互助年度", unique=True)
    status = models.CharField(
        "状态", max_length=8, choices=FundYearStatus.choices, default=FundYearStatus.OPEN
    )
    next_number = models.IntegerField("下一凭证号", default=1)
    closed_at = models.DateTimeField("结账时间", null=True, blank=True)
    closed_by_id = models.BigIntegerField(null=True, blank=True)
    surplus_fen = models.BigIntegerField("本年结余（分）", null=True, blank=True)
    carried_forward_fen = models.BigIntegerField("结转下年（分）", null=True, blank=True)

    class Meta:
        ordering = ["scheme_year"]
        verbose_name = "互助年度资金池"

    def __str__(self) -> str:
        return f"{self.scheme_year}年度"

    @property
    def is_closed(self) -> bool:
        return self.status == FundYearStatus.CLOSED


class EntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", "互助费/筹资收入"
    GRANT = "grant", "补助资金到账"
    PLEDGE = "pledge", "应收补助（承诺拨付）"
    PLEDGE_SETTLEMENT = "pledge_settlement", "应收补助到账"
    ADVANCE = "advance", "镇村垫付"
    ADVANCE_REPAYMENT = "advance_repayment", "归还镇村垫付款"
    DONATION = "donation", "捐赠收入"
    INTEREST = "interest", "利息收入"
    EXPENSE_ACCRUAL = "expense_accrual", "确认应付支出"
    PAYMENT = "payment", "支付"
    SUBSIDY_RECOVERY = "subsidy_recovery", "追回补助"
    RECOVERY_REPAYMENT = "recovery_repayment", "追回款到账"
    RECOVERY_WRITE_OFF = "recovery_write_off", "核销追回款"
    REVERSAL = "reversal", "冲销"
    CLOSING = "closing", "年终结账"
    CARRY_FORWARD = "carry_forward", "结转下年"
    OPENING = "opening", "上年结转"


# Entries written by close_year: never reversed by hand.
SYSTEM_KINDS = frozenset({EntryKind.CLOSING, EntryKind.CARRY_FORWARD, EntryKind.OPENING})


class PaymentMethod(models.TextChoices):
    CASH = "cash", "现金"
    BANK_TRANSFER = "bank_transfer", "银行转账"
    MOBILE_PAYMENT = "mobile_payment", "移动支付"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("已记账的凭证不可修改，请冲销后重新记账")

    def delete(self):
        raise ImmutableError("已记账的凭证不可删除，请冲销")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableError("已记账的凭证不可修改，请冲销后重新记账")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("已记账的凭证不可修改，请冲销后重新记账")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("已记账的凭证不可删除，请冲销")


class JournalEntry(ImmutableModel):
    """A balanced journal entry (记账凭证). Never edited: a mistake is corrected by a reversal entry."""

    scheme_year = models.IntegerField("互助年度", db_index=True)
    number = models.IntegerField("凭证号")
    kind = models.CharField("类型", max_length=24, choices=EntryKind.choices)
    entry_date = models.DateField("业务日期")
    memo = models.CharField("摘要", max_length=200, blank=True)
    reference = models.CharField("业务参考号", max_length=100, blank=True, db_index=True)
    method = models.CharField("收款方式", max_length=16, choices=PaymentMethod.choices, blank=True)
    counterparty = models.CharField("交款/拨款单位或捐赠人", max_length=100, blank=True)
    receipt_number = models.CharField("捐赠票据号", max_length=64, blank=True, db_index=True)
    # Totals the header declares; the deferred trigger checks the lines match them at commit, so lines cannot
    # be added to (or removed from) an entry once it is committed.
    total_fen = models.BigIntegerField("借贷合计（分）")
    line_count = models.IntegerField("分录行数")
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name="冲销的凭证",
    )
    reason = models.CharField("冲销原因", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)  # public user id, no FK across schemas
    created_by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["scheme_year", "number"]
        verbose_name = "记账凭证"
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "number"], name="funds_entry_number_unique"),
            models.CheckConstraint(condition=models.Q(total_fen__gt=0), name="funds_entry_total_positive"),
            models.CheckConstraint(condition=models.Q(line_count__gte=2), name="funds_entry_two_lines"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | ~models.Q(reason=""),
                name="funds_reversal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year}-{self.number:04d} {self.get_kind_display()}"

    @property
    def voucher(self) -> str:
        return f"记-{self.scheme_year}-{self.number:04d}"


class JournalLine(ImmutableModel):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    scheme_year = models.IntegerField("互助年度")  # = entry.scheme_year (checked by the trigger), for indexes
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    side = models.CharField("方向", max_length=6, choices=Side.choices)
    amount_fen = models.BigIntegerField("金额（分）")

    class Meta:
        ordering = ["entry_id", "id"]
        verbose_name = "分录"
        indexes = [models.Index(fields=["scheme_year", "account", "entry"], name="funds_line_year_account")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="funds_line_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(side__in=["debit", "credit"]), name="funds_line_side_valid"
            ),
        ]
