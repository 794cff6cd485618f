"""The import: a reader process hands batches over, this process writes each in its own transaction
(``writer``), keeps the counts and the error report; ``run_job`` runs an ImportJob for the Celery task and the CLI.

Members are matched by the keyed hash of their ID number, so re-importing the same file changes nothing and a
corrected file adds or updates. Rows with errors are skipped and copied, with an error column, into an error report
in the file's own format.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from mutualaid.enrolment.models import ImportJob, ImportStatus, Village
from mutualaid.enrolment.roster.formats import ErrorReport, Sheet, header_keys
from mutualaid.enrolment.roster.reader import Batch, ReaderProcess, _read_batches
from mutualaid.enrolment.roster.rows import RowValidator
from mutualaid.enrolment.roster.writer import (
    SealedRow,
    WriteCounts,
    array_literal,
    use_key_indexes,
    write_batch,
)
from mutualaid.platform.audit.actions import record_event

BATCH_SIZE = 2500  # rows a transaction; the reader and the writer each hold about one batch


@dataclass
class Counts(WriteCounts):
    """An import's running totals: what the batches wrote, and the rows read and refused."""

    errors: int = 0
    rows_done: int = 0

    def add(self, written: WriteCounts) -> None:
        self.created += written.created
        self.updated += written.updated
        self.unchanged += written.unchanged
        self.households_created += written.households_created


def _refuse_other_villages(
    cursor, rows: list[SealedRow], allowed_village: str, counts: Counts, report
) -> list:
    """A coordinator may neither take members nor households from another village. (Keys go in as the
    writer's look-ups take them: see writer._members.)"""
    use_key_indexes(cursor)
    cursor.execute(
        "SELECT m.id_hash FROM enrolment_member m JOIN enrolment_household h ON h.id = m.household_id"
        " JOIN enrolment_village v ON v.id = h.village_id"
        " WHERE m.id_hash = ANY((SELECT string_to_array(%s, ' '))::text[]) AND v.code <> %s",
        [" ".join(r.id_hash for r in rows), allowed_village],
    )
    members_elsewhere = {found[0] for found in cursor.fetchall()}
    cursor.execute(
        "SELECT h.number FROM enrolment_household h JOIN enrolment_village v ON v.id = h.village_id"
        " WHERE h.number = ANY((SELECT %s::text[])::text[]) AND v.code <> %s",
        [array_literal({r.household_number for r in rows}), allowed_village],
    )
    households_elsewhere = {found[0] for found in cursor.fetchall()}
    kept = []
    for row in rows:
        if row.id_hash in members_elsewhere:
            report(row.line, "该身份证号已在本镇其他村登记，请联系镇农业服务中心")
        elif row.household_number in households_elsewhere:
            report(row.line, f"户号 {row.household_number} 属于本镇其他村，请联系镇农业服务中心")
        else:
            kept.append(row)
            continue
        counts.errors += 1
    return kept


def _write_batch(batch: Batch, allowed_village: str | None, counts: Counts, report) -> None:
    rows = batch.rows
    if not rows:
        return
    with connection.cursor() as cursor:
        # A batch commits without waiting for its WAL flush: safe here, because the job is marked done by a later,
        # synchronous commit (which flushes all WAL before it), and a job that never got there is re-run, and the
        # import is idempotent.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if allowed_village:
            rows = _refuse_other_villages(cursor, rows, allowed_village, counts, report)
    if rows:
        counts.add(write_batch(rows))


def import_file(
    path: str,
    file_format: str,
    *,
    allowed_village: str | None = None,
    today: date | None = None,
    on_progress: Callable[[Counts, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> tuple[Counts, ErrorReport]:
    """Import a roster file into the current town. Each batch is its own transaction (progress is visible and a
    crash loses at most one batch; re-running is safe because the writer only adds what is new and changes
    what changed).

    A child process reads, validates and seals the next batch while this process writes the previous one; only
    this process touches the database."""
    sheet = Sheet(path, file_format)
    total = sheet.count_rows()
    villages = dict(Village.objects.values_list("code", "id"))
    counts = Counts()
    report = ErrorReport(file_format)
    sheet_rows = sheet.rows()
    header = next(sheet_rows, None) or []
    keys = header_keys(header)
    validator = RowValidator(villages, allowed_village, today or timezone.localdate(), keys)
    report.header(header)
    reader = ReaderProcess(_read_batches(sheet_rows, validator, allowed_village, batch_size))
    sheet_rows.close()  # the child reads on; here the file (and a workbook's shared strings) can go
    try:
        for batch in reader:
            for line, values, message in batch.errors:
                report.row(line, values, message)
            counts.errors += len(batch.errors)
            counts.rows_done = batch.rows_done

            def refused(line: int, message: str, raw=batch.raw) -> None:
                report.row(line, raw.get(line, []), message)

            with transaction.atomic():
                _write_batch(batch, allowed_village, counts, refused)
            if on_progress:
                on_progress(counts, total)
    except BaseException:
        report.close()
        report.discard()
        raise
    finally:
        reader.close()
    report.close()
    return counts, report


def run_job(
    job: ImportJob, *, actor=None, on_progress: Callable[[Counts, int], None] | None = None
) -> ImportJob:
    """Run an ImportJob (called by the Celery task and the CLI): status, progress and counts on the row."""
    job.status, job.started_at, job.error = ImportStatus.RUNNING, timezone.now(), ""
    job.rows_done = job.created_count = job.updated_count = job.unchanged_count = job.error_count = 0
    job.households_created = 0
    job.save()

    def progress(counts: Counts, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            rows_total=max(total, counts.rows_done),
            rows_done=counts.rows_done,
            created_count=counts.created,
            updated_count=counts.updated,
            unchanged_count=counts.unchanged,
            error_count=counts.errors,
            households_created=counts.households_created,
        )
        if on_progress:
            on_progress(counts, total)

    with job.file.open("rb") as source, tempfile.NamedTemporaryFile(suffix=f".{job.file_format}") as local:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            local.write(chunk)
        local.flush()
        try:
            counts, report = import_file(
                local.name, job.file_format, allowed_village=job.village_code or None, on_progress=progress
            )
        except ValidationError as exc:
            job.status, job.error, job.finished_at = (
                ImportStatus.FAILED,
                "；".join(exc.messages),
                timezone.now(),
            )
            job.file.delete(save=False)  # the upload holds ID numbers: gone when the job ends
            job.save(update_fields=["status", "error", "finished_at", "file"])
            return job
    job.refresh_from_db()
    try:
        if report.count:
            with open(report.path, "rb") as handle:
                stem = os.path.splitext(job.file_name)[0][:80]
                job.error_report.save(f"{stem}-错误报告.{job.file_format}", File(handle), save=False)
    finally:
        report.discard()
    job.rows_total = max(job.rows_total, counts.rows_done)
    job.status, job.finished_at = ImportStatus.DONE, timezone.now()
    job.file.delete(save=False)  # the upload holds ID numbers: gone when the job ends
    job.save()
    record_event(
        actor,
        "enrolment.roster.imported",
        job,
        {
            "rows": counts.rows_done,
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "errors": counts.errors,
            "households_created": counts.households_created,
        },
    )
    return job


def read_error_report(job: ImportJob) -> list[list]:
    """The rows of a job's error report (header first), as a reader of the stored file sees them."""
    with job.error_report.open("rb") as stored:
        content = stored.read()
    if job.file_format == "csv":
        return [list(row) for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
