"""Roster import (花名册导入): csv and xlsx files as village coordinators keep them, one row per member.

- ``formats``: the columns, recognising and checking an upload, the template, reading rows, the error report;
- ``rows``: validating a row and sealing (encrypting) valid ones into their COPY text;
- ``reader``: the forked reader process that parses, validates and seals the next batch;
- ``writer``: writing a batch of sealed rows (COPY for new rows, set-based updates, unchanged rows untouched);
- ``job``: the import itself, batch by batch, and ``run_job`` for the Celery task and the CLI.
"""

from __future__ import annotations

from mutualaid.enrolment.roster.formats import (
    COLUMNS,
    ERROR_HEADER,
    FORMATS,
    MAX_FILE_BYTES,
    ErrorReport,
    Sheet,
    check_file,
    count_row_tags,
    detect_format,
    format_for_path,
    header_keys,
    template,
)
from mutualaid.enrolment.roster.job import BATCH_SIZE, Counts, import_file, read_error_report, run_job
from mutualaid.enrolment.roster.reader import Batch, ReaderProcess
from mutualaid.enrolment.roster.rows import RowData, RowValidator, seal_batch
from mutualaid.enrolment.roster.writer import SealedRow, write_batch

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "ERROR_HEADER",
    "FORMATS",
    "MAX_FILE_BYTES",
    "Batch",
    "Counts",
    "ErrorReport",
    "ReaderProcess",
    "RowData",
    "RowValidator",
    "SealedRow",
    "Sheet",
    "check_file",
    "count_row_tags",
    "detect_format",
    "format_for_path",
    "header_keys",
    "import_file",
    "read_error_report",
    "run_job",
    "seal_batch",
    "template",
    "write_batch",
]
