"""Celery tasks of the enrolment app. tenant-schemas-celery runs them in the schema of the town they were sent
from; they take ids and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from mutualaid.enrolment.models import ImportJob, ImportStatus
from mutualaid.enrolment.roster import run_job
from mutualaid.platform.accounts.models import User

logger = logging.getLogger(__name__)


@shared_task(name="enrolment.import_roster")
def import_roster(job_id: int) -> str:
    """Run a roster import job. A finished job is left alone; a job found running (a worker died mid-way, the
    message was redelivered) is run again from the start, which is safe: every write is an idempotent upsert."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return "skipped"
    actor = User.objects.filter(pk=job.created_by_id).first() if job.created_by_id else None
    try:
        run_job(job, actor=actor)
    except Exception as exc:
        logger.exception("roster import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, error=f"{type(exc).__name__}")
        raise
    return "done"
