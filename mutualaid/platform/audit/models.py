"""Audit events. The table exists in the public schema (platform events) and in every town schema (town events),
so a town's audit trail lives, and is removed, with the town's data."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Users live in the public schema; no FK constraint so town schemas never depend on public rows.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "审计事件"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)
