"""Personal data at rest (issue 22 item 2): roster uploads and error reports are encrypted with the ID fields'
key management, written 0600, the upload deleted when the job ends and the report after the retention period."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.utils import timezone

from mutualaid.enrolment import roster
from mutualaid.enrolment.models import ImportJob
from mutualaid.enrolment.tasks import purge_roster_files
from mutualaid.platform import crypto
from tests.enrolment.test_roster import HEADER, _csv, _rows, _run


def _media() -> Path:
    return Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])


def _files() -> list[Path]:
    return [path for path in _media().rglob("*") if path.is_file()]


def _import_with_errors(village_code: str):
    rows = _rows(village_code)
    rows[1][6] = "商业保险"  # an error row: its ID number goes into the report
    return _run("天池村.csv", _csv(rows)), [row[3] for row in rows]


def test_no_plaintext_id_number_anywhere_under_the_data_folder_after_an_import(in_xinsheng, build):
    village = build.village("500152116201", "天池村")
    job, id_numbers = _import_with_errors(village.code)
    assert job.error_count == 1 and job.error_report
    files = _files()
    assert files, "the error report is stored"
    for path in files:
        content = path.read_bytes()
        assert content.startswith(crypto.FILE_MAGIC), path
        for number in id_numbers:
            assert number.encode() not in content, path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_the_upload_is_deleted_when_the_job_ends_and_the_report_reads_back(in_xinsheng, build):
    village = build.village("500152116201", "天池村")
    job, id_numbers = _import_with_errors(village.code)
    job.refresh_from_db()
    assert not job.file
    assert [p for p in _files() if "errors" not in p.as_posix()] == []
    report = roster.read_error_report(job)
    assert report[0][: len(HEADER)] == HEADER and report[1][3] == id_numbers[1]


def test_error_reports_are_deleted_after_the_retention_period(in_xinsheng, build, settings):
    settings.ROSTER_ERROR_REPORT_RETENTION_DAYS = 7
    village = build.village("500152116201", "天池村")
    job, _ = _import_with_errors(village.code)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=6))
    purge_roster_files()
    assert _files()
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=8))
    purge_roster_files()
    job.refresh_from_db()
    assert not job.error_report and _files() == []
    purge_roster_files()  # idempotent


def test_the_beat_schedule_runs_the_purge():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enrolment.purge_roster_files" in tasks
    assert django_settings.ROSTER_ERROR_REPORT_RETENTION_DAYS == 7
