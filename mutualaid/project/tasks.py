"""Periodic tasks of the deployment itself (run by ``celery beat``; see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import time

from celery import shared_task
from django.core.cache import cache


@shared_task(name="project.heartbeat")
def heartbeat(period: float = 60.0) -> str:
    """Idempotent: counts one run per schedule slot (``period`` seconds) in the shared cache; a second delivery
    for the same slot — a double fire of beat, a redelivered message — is counted as a duplicate and does
    nothing else. The fault runs read ``heartbeat:runs`` / ``heartbeat:duplicates``."""
    slot = int(time.time() // max(period, 1.0))
    if not cache.add(f"heartbeat:slot:{slot}", 1, timeout=7 * 24 * 3600):
        cache.add("heartbeat:duplicates", 0, timeout=None)
        cache.incr("heartbeat:duplicates")
        return "duplicate"
    cache.add("heartbeat:runs", 0, timeout=None)
    cache.incr("heartbeat:runs")
    return "ran"
