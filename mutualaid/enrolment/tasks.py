"""Celery tasks of the enrolment app. tenant-schemas-celery runs them in the schema of the town they were sent
from; they take ids and are idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

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


@shared_task(name="enrolment.purge_roster_files")
def purge_roster_files() -> dict[str, int]:
    """Beat task (daily): in every town, delete roster error reports older than ROSTER_ERROR_REPORT_RETENTION_DAYS
    and any upload a finished job still holds (both carry full ID numbers). Idempotent."""
    from mutualaid.tenants.models import Town

    cutoff = timezone.now() - timedelta(days=settings.ROSTER_ERROR_REPORT_RETENTION_DAYS)
    removed: dict[str, int] = {}
    for town in Town.objects.exclude(schema_name=get_public_schema_name()).order_by("code"):
        with tenant_context(town):
            count = 0
            for job in ImportJob.objects.filter(finished_at__lt=cutoff).exclude(error_report=""):
                job.error_report.delete(save=False)
                ImportJob.objects.filter(pk=job.pk).update(error_report="")
                count += 1
            finished = ImportJob.objects.filter(status__in=(ImportStatus.DONE, ImportStatus.FAILED))
            for job in finished.exclude(file=""):
                job.file.delete(save=False)
                ImportJob.objects.filter(pk=job.pk).update(file="")
                count += 1
        if count:
            removed[town.code] = count
    return removed


@shared_task(name="enrolment.prune_participation_changes")
def prune_participation_changes() -> dict[str, dict[str, int]]:
    """Beat task (daily): in every town, the participation change rows and stored figures below a new horizon are
    deleted (``participation.prune_changes``), so the change table stays small. Idempotent."""
    from mutualaid.enrolment.participation import prune_changes
    from mutualaid.tenants.models import Town

    pruned: dict[str, dict[str, int]] = {}
    for town in Town.objects.exclude(schema_name=get_public_schema_name()).order_by("code"):
        with tenant_context(town):
            pruned[town.code] = prune_changes()
    return pruned
