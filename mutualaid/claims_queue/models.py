"""The service firms' cross-town review queue (public schema).

One row per open claim of every town: only what a queue needs (town, claim id, state, dates), never a name, an
ID number or a claim's details. The claims actions keep it in sync in the same transaction as the claim; a
reviewer's queue is one query joining it to the towns their firm serves.
"""

from __future__ import annotations

from django.db import models


class QueueEntry(models.Model):
    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    claim_id = models.BigIntegerField("申请编号（镇内）")
    state = models.CharField("状态", max_length=16)
    submitted_at = models.DateTimeField("提交时间")
    due_date = models.DateField("审核截止日")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "submitted_at", "id"]
        verbose_name = "审核队列"
        constraints = [models.UniqueConstraint(fields=["town", "claim_id"], name="claims_queue_town_claim")]
        indexes = [models.Index(fields=["due_date", "submitted_at"], name="claims_queue_due")]
