"""Monthly payout batches (补助发放批次) of a town: the lines (a claim's subsidy or the service firm's fee), the
ledger entries a batch posted, recoveries of subsidies got by fraud with their repayments, the town-wide notices
(通报) and bank-statement reconciliations (town schema).

Money is integer fen. The bank card is copied encrypted from the claim; only the bank file shows it in full.
A claim is on at most one pending or paid line (a partial unique index), so it cannot be paid twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class BatchState(models.TextChoices):
    PREPARED = "prepared", "已编制（待财务审批）"
    APPROVED = "approved", "已审批（待导出银行文件）"
    EXPORTED = "exported", "已导出银行代发文件（待银行回盘）"
    SETTLED = "settled", "已回盘（发放完成）"


class LineKind(models.TextChoices):
    SUBSIDY = "subsidy", "互助补助"
    SERVICE_FEE = "service_fee", "第三方服务费"


class LineState(models.TextChoices):
    PENDING = "pending", "待发放"
    REMOVED = "removed", "审批前移出"
    PAID = "paid", "已到账"
    RETURNED = "returned", "银行退回"
    REVERSED = "reversed", "已冲销"


# A claim on a line in one of these states is being paid or is paid: at most one such line per claim.
LIVE_LINE_STATES = (LineState.PENDING, LineState.PAID)


class PayoutBatch(models.Model):
    """One batch per town and month: the approved claims up to the end of the previous month."""

    month = models.DateField("发放月份", unique=True)  # the first day of the payout month
    period_end = models.DateField("核准截止日")  # the last day of the previous month
    state = models.CharField("状态", max_length=16, choices=BatchState.choices, default=BatchState.PREPARED)
    total_fen = models.BigIntegerField("合计（分）", default=0)
    line_count = models.IntegerField("笔数", default=0)
    prepared_by_id = models.BigIntegerField(null=True, blank=True)
    prepared_by_username = models.CharField(max_length=150, blank=True)
    prepared_at = models.DateTimeField("编制时间")
    approved_by_id = models.BigIntegerField(null=True, blank=True)
    approved_by_username = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    exported_at = models.DateTimeField("导出时间", null=True, blank=True)
    exported_by_username = models.CharField(max_length=150, blank=True)
    export_count = models.IntegerField("导出次数", default=0)
    paid_on = models.DateField("付款日期", null=True, blank=True)
    settled_at = models.DateTimeField("回盘完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = "补助发放批次"

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}补助发放批次"

    @property
    def reference(self) -> str:
        return f"{self.month:%Y-%m}"


class PayoutLine(models.Model):
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField("类别", max_length=16, choices=LineKind.choices, default=LineKind.SUBSIDY)
    claim_id = models.BigIntegerField("补助申请", null=True, blank=True, db_index=True)
    member_id = models.BigIntegerField("成员", null=True, blank=True)
    scheme_year = models.IntegerField("互助年度")
    village_code = models.CharField("村", max_length=12, blank=True, db_index=True)
    village_name = models.CharField("村名", max_length=64, blank=True)
    payee_name = models.CharField("收款人", max_length=100)
    id_masked = models.CharField("身份证号（脱敏）", max_length=18, blank=True)
    drg_code = models.CharField("DRG 病组", max_length=8, blank=True)
    bank_name = models.CharField("开户行", max_length=64, blank=True)
    bank_card_encrypted = models.TextField("银行卡号（加密）", blank=True)
    bank_card_masked = models.CharField("银行卡号（脱敏）", max_length=24, blank=True)
    amount_fen = models.BigIntegerField("金额（分）")
    state = models.CharField("状态", max_length=16, choices=LineState.choices, default=LineState.PENDING)
    carried_reason = models.CharField("上次退回原因", max_length=200, blank=True)
    return_reason = models.CharField("银行退回原因", max_length=200, blank=True)
    removed_reason = models.CharField("移出原因", max_length=200, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["batch", "village_code", "id"]
        verbose_name = "发放明细"
        constraints = [
            models.UniqueConstraint(
                fields=["claim_id"],
                condition=Q(state__in=["pending", "paid"]) & Q(claim_id__isnull=False),
                name="payouts_claim_paid_once",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payouts_line_amount_positive"),
        ]

    @property
    def memo(self) -> str:
        if self.kind == LineKind.SERVICE_FEE:
            return f"{self.scheme_year}年度第三方服务费"
        return f"{self.batch.month:%Y年%m月}互助补助 申请{self.claim_id}"


class PostingKind(models.TextChoices):
    PAYMENT = "payment", "发放付款"
    RETURN = "return", "银行退回"
    REVERSAL = "reversal", "发放冲销"


class BatchPosting(models.Model):
    """A ledger entry a batch posted (one per scheme year and step), so its totals can be checked against it."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="postings")
    kind = models.CharField(max_length=16, choices=PostingKind.choices)
    scheme_year = models.IntegerField()
    entry_id = models.BigIntegerField()
    voucher = models.CharField(max_length=32)
    amount_fen = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class RecoveryState(models.TextChoices):
    OPEN = "open", "追缴中"
    WRITE_OFF_REQUESTED = "write_off_requested", "已申请核销"
    SETTLED = "settled", "已全额追回"
    WRITTEN_OFF = "written_off", "已核销"


class Recovery(models.Model):
    """A paid subsidy got by fraud (骗取补助): a receivable from the member, repaid until settled or written off.

    The ledger holds the receivable (应收个人退回补助, entries referenced ``recovery:<id>``): marking the claim
    recovered books it against the subsidy expense (``entry_id``), each repayment moves it to the bank
    (``Repayment.entry_id``), an approved write-off to the write-off loss (``write_off_entry_id``). So
    ``outstanding_fen`` always equals ``ledger.reference_balance(MEMBER_RECEIVABLE, reference)``
    (``recoveries.recovery_consistency`` checks it).
    """

    claim_id = models.BigIntegerField(unique=True)
    member_id = models.BigIntegerField()
    scheme_year = models.IntegerField()
    village_code = models.CharField(max_length=12, blank=True)
    amount_fen = models.BigIntegerField("应追回（分）")
    repaid_fen = models.BigIntegerField("已追回（分）", default=0)
    written_off_fen = models.BigIntegerField("核销（分）", default=0)
    finding = models.TextField("查实情况")
    state = models.CharField(max_length=24, choices=RecoveryState.choices, default=RecoveryState.OPEN)
    write_off_reason = models.TextField(blank=True)
    write_off_requested_by_id = models.BigIntegerField(null=True, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The ledger entries of the receivable (no FK: the funds tables are append-only and referenced by id).
    entry_id = models.BigIntegerField("确认应收凭证", null=True, blank=True)
    voucher = models.CharField("确认应收凭证号", max_length=32, blank=True)
    write_off_entry_id = models.BigIntegerField("核销凭证", null=True, blank=True)
    write_off_voucher = models.CharField("核销凭证号", max_length=32, blank=True)
    write_off_approved_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "补助追回"
        constraints = [
            models.CheckConstraint(
                condition=Q(repaid_fen__gte=0) & Q(repaid_fen__lte=models.F("amount_fen")),
                name="payouts_recovery_repaid_in_range",
            ),
            models.CheckConstraint(
                condition=Q(written_off_fen__gte=0)
                & Q(amount_fen__gte=models.F("repaid_fen") + models.F("written_off_fen")),
                name="payouts_recovery_settled_in_range",
            ),
        ]

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.repaid_fen - self.written_off_fen

    @property
    def reference(self) -> str:
        """The reference of its ledger entries (``funds.postings.RECOVERY_REFERENCE_PREFIX``)."""
        return f"recovery:{self.pk}"


class Repayment(models.Model):
    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="repayments")
    amount_fen = models.BigIntegerField()
    paid_on = models.DateField()
    entry_id = models.BigIntegerField()
    voucher = models.CharField(max_length=32)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class TownNotice(models.Model):
    """A town-wide notice (通报) for the disclosure pages, e.g. a subsidy recovered for fraud."""

    kind = models.CharField(max_length=32, default="fraud_recovery")
    title = models.CharField(max_length=200)
    body = models.TextField()
    recovery = models.OneToOneField(
        Recovery, on_delete=models.PROTECT, null=True, blank=True, related_name="notice"
    )
    published_at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = "通报"


class Reconciliation(models.Model):
    """A month of the dedicated bank account reconciled against the ledger's bank account."""

    month = models.DateField(unique=True)
    bank_total_fen = models.BigIntegerField()
    ledger_total_fen = models.BigIntegerField()
    difference_fen = models.BigIntegerField()
    matched = models.JSONField(default=list)
    ledger_only = models.JSONField(default=list)
    bank_only = models.JSONField(default=list)
    closed = models.BooleanField(default=False)
    reconciled_by_id = models.BigIntegerField(null=True, blank=True)
    reconciled_at = models.DateTimeField()

    class Meta:
        ordering = ["-month"]
        verbose_name = "银行对账"
