"""The roster import as a real Celery job: importRoster through the API enqueues the task on commit,
tenant-schemas-celery carries the town's schema, a real worker runs it, and the job shows progress and counts."""

import base64
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from mutualaid.enrolment.models import Household, ImportJob, Member, Village
from mutualaid.platform.accounts.roles import Role
from mutualaid.project.celery import app
from tests.conftest import ensure_towns
from tests.enrolment.test_roster import _csv, _rows
from tests.factories import graphql, make_user

VILLAGE = "320685107251"
IMPORT = """mutation($f: String!) { importRoster(fileName: "贲庄村.csv", contentBase64: $f) {
  job { id status } errors { code message } } }"""
JOB = "query($id: ID!) { rosterImportJob(id: $id) { status rowsTotal rowsDone createdCount errorCount progressPercent } }"


@pytest.fixture
def worker_town(transactional_db):
    town = ensure_towns()["320685107"]
    connection.set_tenant(town)
    Village.objects.get_or_create(code=VILLAGE, defaults={"name": "工作进程测试村"})
    connection.set_schema_to_public()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield town
    # Transactional tests commit: remove what this test wrote in the town's schema.
    connection.set_tenant(town)
    for job in ImportJob.objects.all():
        job.file.delete(save=False)
        if job.error_report:
            job.error_report.delete(save=False)
    ImportJob.objects.all().delete()
    numbers = list(Household.objects.filter(village__code=VILLAGE).values_list("id", flat=True))
    Household.objects.filter(id__in=numbers).update(head=None)
    Member.objects.filter(household_id__in=numbers).delete()
    Household.objects.filter(id__in=numbers).delete()
    Village.objects.filter(code=VILLAGE).delete()
    connection.set_schema_to_public()


@pytest.mark.worker
def test_roster_import_runs_as_a_celery_job_in_the_towns_schema(worker_town):
    admin = make_user(Role.TOWN_ADMIN, town=worker_town)
    content = base64.b64encode(_csv(_rows(VILLAGE, households=4, size=3))).decode()

    started = graphql(admin, IMPORT, {"f": content}, town=worker_town)["data"]["importRoster"]
    assert started["errors"] == [] and started["job"]["status"] == "PENDING"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = graphql(admin, JOB, {"id": started["job"]["id"]}, town=worker_town)["data"]["rosterImportJob"]
        if job["status"] in ("DONE", "FAILED"):
            break
        time.sleep(0.2)
    assert job == {
        "status": "DONE", "rowsTotal": 12, "rowsDone": 12, "createdCount": 12, "errorCount": 0, "progressPercent": 100,
    }  # fmt: skip
    connection.set_tenant(worker_town)
    assert Member.objects.filter(household__village__code=VILLAGE).count() == 12

    # The task is idempotent: running it again for a finished job changes nothing.
    from mutualaid.enrolment.tasks import import_roster

    assert import_roster.apply(args=[ImportJob.objects.get().pk]).get() == "skipped"
    connection.set_schema_to_public()
