"""Monthly public disclosures (公示) of a town's fund and the objections (异议) to disclosed subsidies (town schema).

A disclosure is one month's numbered revision: a draft the town admin reviews and publishes, then immutable (the
model refuses edits and deletes of a published row); a correction is the next revision, saying what changed.
``content`` is exactly what the public pages and exports show (masked names, no ID number, no bank card, no
diagnosis code); the totals beside it are the ledger's, to the fen.

Objections keep the objector's phone only as a keyed hash (for the rate limit and the one-time code) and the
signed-in user's id; neither is ever shown publicly.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class PublishedError(Exception):
    """Raised on any attempt to edit or delete a published disclosure."""


class DisclosureState(models.TextChoices):
    DRAFT = "draft", "草稿（待审核发布）"
    PUBLISHED = "published", "已公示"


class DisclosureQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=DisclosureState.PUBLISHED)

    def delete(self):
        if self.filter(state=DisclosureState.PUBLISHED).exists():
            raise PublishedError("已发布的公示不可删除")
        return super().delete()


class Disclosure(models.Model):
    month = models.DateField("公示月份")  # the first day of the month disclosed
    revision = models.PositiveIntegerField("修订号", default=1)
    state = models.CharField(
        "状态", max_length=16, choices=DisclosureState.choices, default=DisclosureState.DRAFT
    )
    content = models.JSONField("公示内容", default=dict)
    opening_fen = models.BigIntegerField("期初结余（分）", default=0)
    inflow_fen = models.BigIntegerField("本月收入（分）", default=0)
    outflow_fen = models.BigIntegerField("本月支出（分）", default=0)
    closing_fen = models.BigIntegerField("期末结余（分）", default=0)
    reconciled = models.BooleanField("与台账核对一致", default=False)
    changes = models.TextField("本次修订说明", blank=True)
    objection_days = models.PositiveSmallIntegerField("异议期（天）", default=7)
    generated_at = models.DateTimeField("生成时间")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    objection_until = models.DateField("异议截止日", null=True, blank=True)
    published_by_id = models.BigIntegerField(null=True, blank=True)
    published_by_username = models.CharField(max_length=150, blank=True)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-revision"]
        verbose_name = "月度公示"
        constraints = [
            models.UniqueConstraint(fields=["month", "revision"], name="disclosure_month_revision"),
            models.UniqueConstraint(
                fields=["month"], condition=Q(state="draft"), name="disclosure_one_draft_a_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}公示（第{self.revision}版）"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("state", flat=True).first()
            if stored == DisclosureState.PUBLISHED:
                raise PublishedError("已发布的公示不可修改，请发布修订版")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise PublishedError("已发布的公示不可删除")
        return super().delete(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def is_published(self) -> bool:
        return self.state == DisclosureState.PUBLISHED


class ObjectionState(models.TextChoices):
    OPEN = "open", "待核查"
    CONFIRMED = "confirmed", "经核查维持原审核结论"
    REOPENED = "reopened", "已重新审核"
    RESOLVED = "resolved", "重新审核已办结"


class Objection(models.Model):
    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="objections")
    claim_id = models.BigIntegerField("补助申请", db_index=True)
    subject = models.CharField("被异议的公示项（脱敏）", max_length=100)  # e.g. 新胜村 张*三 3000.00 元
    reason = models.TextField("异议理由")
    state = models.CharField(
        "状态", max_length=16, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    # Who objected: never shown publicly. A signed-in user's id, or the keyed hash of a verified phone.
    user_id = models.BigIntegerField(null=True, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    address_hash = models.CharField(max_length=64, blank=True, db_index=True)
    submitted_at = models.DateTimeField("提出时间", db_index=True)
    answer = models.TextField("核查答复", blank=True)
    outcome = models.TextField("处理结果", blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by_id = models.BigIntegerField(null=True, blank=True)
    answered_by_username = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField("暂缓发放", default=False)
    held_by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "公示异议"

    @property
    def is_open(self) -> bool:
        return self.state in (ObjectionState.OPEN, ObjectionState.REOPENED)


class PhoneCode(models.Model):
    """A one-time SMS code to verify an objector's phone: only keyed hashes stored, single use, 10 minutes,
    5 attempts (the same rules as the accounts' codes, which are tied to a user)."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    address_hash = models.CharField(max_length=64, blank=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "异议短信验证码"


class DonorDisplay(models.Model):
    """A donor who asked to be shown as 爱心人士 (by the donation's receipt number)."""

    receipt_number = models.CharField("捐赠票据号", max_length=64, unique=True)
    anonymous = models.BooleanField("以“爱心人士”公示", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "捐赠人公示方式"
