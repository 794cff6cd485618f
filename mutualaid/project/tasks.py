"""Periodic tasks of the deployment itself (run by ``celery beat``; see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import time
from datetime import datetime

from celery import shared_task
from django.core.cache import cache


def _sent_at(expires: object, period: float) -> float:
    """When beat sent the tick: beat gives every tick ``expires`` = sending time + period."""
    if isinstance(expires, str):
        return datetime.fromisoformat(expires).timestamp() - period
    if isinstance(expires, datetime):
        return expires.timestamp() - period
    return time.time()


@shared_task(name="project.heartbeat", bind=True)
def heartbeat(self, period: float = 60.0) -> str:
    """Idempotent: counts one run per tick of the schedule in the shared cache, the tick known by when beat sent
    it (not when a worker got to it). A second delivery of one tick — beat firing twice, a redelivered message —
    is counted as a duplicate and does nothing else. The fault runs read ``heartbeat:runs`` /
    ``heartbeat:duplicates``."""
    period = max(period, 1.0)
    slot = round(_sent_at(self.request.expires, period) / period)
    if not cache.add(f"heartbeat:slot:{slot}", 1, timeout=7 * 24 * 3600):
        cache.add("heartbeat:duplicates", 0, timeout=None)
        cache.incr("heartbeat:duplicates")
        return "duplicate"
    cache.add("heartbeat:runs", 0, timeout=None)
    cache.incr("heartbeat:runs")
    return "ran"
