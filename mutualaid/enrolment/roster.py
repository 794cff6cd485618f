"""Roster import (花名册导入): csv and xlsx files as village coordinators keep them, one row per member.

Streaming in constant memory (csv.reader over the byte stream; openpyxl ``read_only``), validated row by row, and
written in batches: households with one query and a bulk insert, members by COPY into a temporary table and one
``INSERT … ON CONFLICT (id_hash) DO UPDATE`` per batch. Members are matched by the keyed hash of their ID number,
so re-importing the same file changes nothing and a corrected file adds or updates. Rows with errors are skipped
and copied, with an error column, into an error report in the file's own format.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from mutualaid.enrolment import fields, sealing
from mutualaid.enrolment.error_codes import EnrolmentErrorCode as Code
from mutualaid.enrolment.models import Household, ImportJob, ImportStatus, Member, Village
from mutualaid.platform import idnumbers
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.crypto import mask_phone

BATCH_SIZE = 5000
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    example: str
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("household_number", "户号", True, "500152116201-0001", ("household_number", "户编号")),
    Column("village_code", "村代码", True, "500152116201", ("village_code", "村级区划代码", "村编码")),
    Column("name", "姓名", True, "张三", ("name",)),
    Column("id_number", "身份证号", True, "50022319800101123X", ("id_number", "身份证号码", "公民身份号码")),
    Column("relation", "与户主关系", True, "户主", ("relation", "关系")),
    Column("phone", "手机号", False, "13912345678", ("phone", "联系电话", "手机号码")),
    Column(
        "insurance_type", "基本医保类型", True, "城乡居民医保", ("insurance_type", "医保类型", "参保类型")
    ),
    Column("hardship", "困难类别", False, "", ("hardship_categories", "特殊困难群体")),
    Column("registered_on", "户籍登记日期", True, "2010-03-15", ("registered_on", "入户日期", "登记日期")),
    Column("address", "住址", False, "新胜镇某村1组", ("address", "家庭住址")),
)
ERROR_HEADER = "错误说明"
_HEADER_KEYS = {alias.strip().lower(): c.key for c in COLUMNS for alias in (c.header, *c.aliases)}
REQUIRED = [c for c in COLUMNS if c.required]
FORMATS = ("csv", "xlsx")


# --- file types and templates ---------------------------------------------------------------------------------------


def detect_format(file_name: str, head: bytes) -> str:
    """'csv' or 'xlsx' from the name and the first bytes; anything else is refused (unsupported_file_type)."""
    extension = os.path.splitext(file_name or "")[1].lower()
    message = "只能导入 .xlsx 或 .csv 花名册（旧版 .xls 请在 Excel 中另存为 .xlsx）"
    if extension == ".xlsx" and head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if (
        extension == ".csv"
        and b"\x00" not in head
        and not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))
    ):
        return "csv"
    raise ValidationError({"file": ValidationError(message, code=Code.UNSUPPORTED_FILE_TYPE.value)})


def template(file_format: str) -> bytes:
    """The downloadable template: the header row and one example row."""
    headers = [c.header for c in COLUMNS]
    example = [c.example for c in COLUMNS]
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerow(example)
        return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens it as UTF-8
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(headers)
    sheet.append(example)
    for cell in sheet[2]:
        cell.number_format = "@"  # text: keeps ID numbers and leading zeros
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- reading -----------------------------------------------------------------------------------------------------


def _csv_encoding(head: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"  # Excel's default for csv on Chinese Windows


class Sheet:
    """Rows of a roster file as lists of raw values (header first), and an estimate of the row count."""

    def __init__(self, path: str, file_format: str):
        self.path, self.format = path, file_format
        self._workbook = None

    def count_rows(self) -> int:
        if self.format == "csv":
            lines, last = 0, b"\n"
            with open(self.path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    lines, last = lines + chunk.count(b"\n"), chunk[-1:]
            return max(0, lines + (last != b"\n") - 1)  # minus the header
        from openpyxl import load_workbook

        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            return max(0, (workbook.worksheets[0].max_row or 1) - 1)
        finally:
            workbook.close()

    def rows(self) -> Iterator[list]:
        if self.format == "csv":
            with open(self.path, "rb") as raw:
                encoding = _csv_encoding(raw.read(65536))
            with open(self.path, encoding=encoding, newline="", errors="replace") as handle:
                yield from csv.reader(handle)
            return
        from openpyxl import load_workbook

        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()


def header_keys(header: list) -> list[str | None]:
    """Column keys for a header row; raises missing_columns when a required column is absent."""
    keys = [_HEADER_KEYS.get(str(h or "").strip().lower()) for h in header]
    missing = [c.header for c in REQUIRED if c.key not in keys]
    if missing:
        raise ValidationError(
            {
                "file": ValidationError(
                    f"缺少必填列：{'、'.join(missing)}（请使用导入模板）", code=Code.MISSING_COLUMNS.value
                )
            }
        )
    return keys


def check_file(path: str, file_format: str) -> None:
    """Early, synchronous checks of an upload: the file opens and has every required column."""
    try:
        first = next(iter(Sheet(path, file_format).rows()), None)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError(
            {
                "file": ValidationError(
                    "文件无法读取，请确认是 .xlsx 或 .csv 花名册", code=Code.UNSUPPORTED_FILE_TYPE.value
                )
            }
        ) from exc
    header_keys(first or [])


# --- validation --------------------------------------------------------------------------------------------------


@dataclass
class RowData:
    line: int
    household_number: str
    village_id: int
    village_code: str
    name: str
    id_number: str
    id_hash: str
    sex: str
    birth_date: date
    relation: str
    phone: str
    phone_hash: str
    insurance_type: str
    hardship: list[str]
    registered_on: date
    address: str


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class RowValidator:
    def __init__(self, villages: dict[str, int], allowed_village: str | None, today: date):
        self.villages, self.allowed_village, self.today = villages, allowed_village, today
        self.seen_ids: dict[str, int] = {}  # id hash → first line
        self.household_villages: dict[str, str] = {}

    def validate(self, line: int, values: dict) -> RowData | str:
        problems: list[str] = []

        def take(key, parser, **kwargs):
            try:
                return parser(values.get(key), **kwargs)
            except fields.FieldProblem as problem:
                problems.append(problem.message)
                return None

        number = _text(values.get("household_number"))
        if not number:
            problems.append("请填写户号")
        elif len(number) > 32:
            problems.append("户号不超过 32 个字符")
        village_code = _text(values.get("village_code"))
        village_id = self.villages.get(village_code)
        if village_id is None:
            problems.append(f"村代码“{village_code}”不是本镇的村" if village_code else "请填写村代码")
        elif self.allowed_village and village_code != self.allowed_village:
            problems.append(f"只能导入本村（{self.allowed_village}）的成员")
        name = _text(values.get("name"))
        if not name:
            problems.append("请填写姓名")
        elif len(name) > 64:
            problems.append("姓名过长")
        id_text = _text(values.get("id_number")).upper()
        found = idnumbers.problem(id_text, self.today)
        if found is not None:
            problems.append(found[1])
        phone_text = _text(values.get("phone"))
        phone = ""
        if phone_text:
            phone = phone_text.replace(" ", "").replace("-", "").removeprefix("+86")
            if not (len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789"):
                problems.append("手机号码格式不正确（应为 11 位手机号）")
        relation = take("relation", fields.relation)
        insurance = take("insurance_type", fields.insurance)
        hardship = take("hardship", fields.hardship)
        registered = take("registered_on", fields.a_date, today=self.today, label="户籍登记日期")
        id_hash = ""
        if found is None:
            id_hash = sealing.lookup_hash(id_text)
            first = self.seen_ids.get(id_hash)
            if first is not None:
                problems.append(f"身份证号与第 {first} 行重复")
            else:
                self.seen_ids[id_hash] = line
        if number and village_id is not None:
            known = self.household_villages.setdefault(number, village_code)
            if known != village_code:
                problems.append(f"户号 {number} 在前面的行属于村 {known}")
        if problems:
            return "；".join(problems)
        return RowData(
            line=line,
            household_number=number,
            village_id=village_id,
            village_code=village_code,
            name=name,
            id_number=id_text,
            id_hash=id_hash,
            sex="M" if int(id_text[16]) % 2 else "F",
            birth_date=date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14])),
            relation=relation,
            phone=phone,
            phone_hash=sealing.lookup_hash(phone) if phone else "",
            insurance_type=insurance,
            hardship=sorted(hardship),
            registered_on=registered,
            address=_text(values.get("address"))[:200],
        )


# --- writing -----------------------------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    households_created: int = 0
    rows_done: int = 0
    problems: list = field(default_factory=list)


_MEMBER_COLUMNS = (
    "household_id", "name", "id_number_encrypted", "id_hash", "id_masked", "sex", "birth_date", "relation",
    "phone_encrypted", "phone_hash", "phone_masked", "insurance_type", "hardship_categories", "registered_on",
)  # fmt: skip
_TEMP = "roster_import_member"


def _ensure_temp_table(cursor) -> None:
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} ("
        "household_id bigint, name varchar(64), id_number_encrypted text, id_hash varchar(64), id_masked varchar(18),"
        " sex varchar(1), birth_date date, relation varchar(16), phone_encrypted text, phone_hash varchar(64),"
        " phone_masked varchar(11), insurance_type varchar(16), hardship_categories varchar(32)[], registered_on date)"
    )
    cursor.execute(f"TRUNCATE {_TEMP}")


def _households(rows: list[RowData], counts: Counts) -> dict[str, int]:
    """Ids of the batch's households, creating new ones and moving or re-addressing changed ones."""
    wanted: dict[str, RowData] = {}
    for row in rows:
        wanted.setdefault(row.household_number, row)
        if row.address and not wanted[row.household_number].address:
            wanted[row.household_number] = row
    existing = {
        h.number: h
        for h in Household.objects.filter(number__in=list(wanted)).only(
            "id", "number", "village_id", "address"
        )
    }
    ids = {number: h.pk for number, h in existing.items()}
    changed = []
    for number, h in existing.items():
        row = wanted[number]
        if h.village_id != row.village_id or (row.address and row.address != h.address):
            h.village_id = row.village_id
            h.address = row.address or h.address
            changed.append(h)
    if changed:
        Household.objects.bulk_update(changed, ["village_id", "address"])
    new = [
        Household(number=number, village_id=row.village_id, address=row.address)
        for number, row in wanted.items()
        if number not in existing
    ]
    if new:
        for household in Household.objects.bulk_create(new):
            ids[household.number] = household.pk
        counts.households_created += len(new)
    return ids


def _write_batch(rows: list[RowData], allowed_village: str | None, counts: Counts, report) -> None:
    if not rows:
        return
    # Members already on file (by ID hash), with their village, to tell new / changed / unchanged rows apart.
    existing = {
        m["id_hash"]: m
        for m in Member.objects.filter(id_hash__in=[r.id_hash for r in rows]).values(
            "id_hash", "household_id", "household__number", "household__village__code", "name", "relation",
            "phone_hash", "insurance_type", "hardship_categories", "registered_on", "id_number_encrypted",
            "phone_encrypted", "phone_masked",
        )
    }  # fmt: skip
    if allowed_village:
        # A coordinator may neither take members nor households from another village.
        elsewhere = set(
            Household.objects.filter(number__in={r.household_number for r in rows})
            .exclude(village__code=allowed_village)
            .values_list("number", flat=True)
        )
        kept = []
        for row in rows:
            found = existing.get(row.id_hash)
            if found and found["household__village__code"] != allowed_village:
                report(row.line, "该身份证号已在本镇其他村登记，请联系镇农业服务中心")
            elif row.household_number in elsewhere:
                report(row.line, f"户号 {row.household_number} 属于本镇其他村，请联系镇农业服务中心")
            else:
                kept.append(row)
                continue
            counts.errors += 1
        rows = kept
        if not rows:
            return
    household_ids = _households(rows, counts)
    new_rows, changed_rows = [], []
    for row in rows:
        found = existing.get(row.id_hash)
        if found is None:
            new_rows.append(row)
        elif (
            found["household_id"] != household_ids[row.household_number]
            or found["name"] != row.name
            or found["relation"] != row.relation
            or found["phone_hash"] != row.phone_hash
            or found["insurance_type"] != row.insurance_type
            or sorted(found["hardship_categories"]) != row.hardship
            or found["registered_on"] != row.registered_on
        ):
            changed_rows.append(row)
        else:
            counts.unchanged += 1
    if not new_rows and not changed_rows:
        return
    # Encrypt only what is new: ID numbers of new members, phone numbers that changed.
    id_tokens = dict(
        zip(
            (r.id_hash for r in new_rows),
            sealing.encrypt_many([r.id_number for r in new_rows]),
            strict=True,
        )
    )
    phones_to_seal = [
        r
        for r in (*new_rows, *changed_rows)
        if r.phone and (existing.get(r.id_hash) or {}).get("phone_hash") != r.phone_hash
    ]
    phone_tokens = dict(
        zip(
            (r.id_hash for r in phones_to_seal),
            sealing.encrypt_many([r.phone for r in phones_to_seal]),
            strict=True,
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in (*new_rows, *changed_rows):
        found = existing.get(row.id_hash)
        id_token = id_tokens.get(row.id_hash) or found["id_number_encrypted"]
        if not row.phone:
            phone_token, phone_masked = "", ""
        elif row.id_hash in phone_tokens:
            phone_token, phone_masked = phone_tokens[row.id_hash], mask_phone(row.phone)
        else:
            phone_token, phone_masked = found["phone_encrypted"], found["phone_masked"]
        writer.writerow(
            (
                household_ids[row.household_number],
                row.name,
                id_token,
                row.id_hash,
                idnumbers.mask(row.id_number),
                row.sex,
                row.birth_date.isoformat(),
                row.relation,
                phone_token,
                row.phone_hash,
                phone_masked,
                row.insurance_type,
                "{" + ",".join(row.hardship) + "}",
                row.registered_on.isoformat(),
            )
        )
    buffer.seek(0)
    columns = ", ".join(_MEMBER_COLUMNS)
    updates = ", ".join(
        f"{c} = EXCLUDED.{c}"
        for c in _MEMBER_COLUMNS
        if c not in ("id_hash", "id_number_encrypted", "id_masked")
    )
    with connection.cursor() as cursor:
        _ensure_temp_table(cursor)
        cursor.copy_expert(f"COPY {_TEMP} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        cursor.execute(
            f"INSERT INTO enrolment_member ({columns}, status, created_at, updated_at) "
            f"SELECT {columns}, 'active', now(), now() FROM {_TEMP} "
            f"ON CONFLICT (id_hash) DO UPDATE SET {updates}, updated_at = now()"
        )
        # Heads of the batch's households: the member whose relation is 户主.
        cursor.execute(
            "UPDATE enrolment_household h SET head_id = m.id FROM ("
            "  SELECT DISTINCT ON (household_id) household_id, id FROM enrolment_member"
            "  WHERE household_id = ANY(%s) AND relation = 'head' ORDER BY household_id, id"
            ") m WHERE h.id = m.household_id AND h.head_id IS DISTINCT FROM m.id",
            [list({household_ids[r.household_number] for r in (*new_rows, *changed_rows)})],
        )
    counts.created += len(new_rows)
    counts.updated += len(changed_rows)


# --- error report ------------------------------------------------------------------------------------------------


class ErrorReport:
    """The failing rows, in the file's own format, with an error column (streamed to a temporary file)."""

    def __init__(self, file_format: str):
        self.format = file_format
        self.count = 0
        self._handle = tempfile.NamedTemporaryFile(suffix=f".{file_format}", delete=False)  # noqa: SIM115
        self.path = self._handle.name
        if file_format == "csv":
            self._text = io.TextIOWrapper(self._handle, encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._text)
        else:
            from openpyxl import Workbook

            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("错误行")

    def header(self, header: list) -> None:
        self._append([*(_text(h) for h in header), ERROR_HEADER, "原行号"])

    def row(self, line: int, values: list, message: str) -> None:
        self.count += 1
        self._append([*(_cell(v) for v in values), message, line])

    def _append(self, values: list) -> None:
        if self.format == "csv":
            self._writer.writerow(values)
        else:
            self._sheet.append(values)

    def close(self) -> None:
        if self.format == "csv":
            self._text.close()
        else:
            self._handle.close()
            self._workbook.save(self.path)

    def discard(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- the import --------------------------------------------------------------------------------------------------


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
    crash loses at most one batch; re-running is safe because every write is an idempotent upsert)."""
    sheet = Sheet(path, file_format)
    total = sheet.count_rows()
    villages = dict(Village.objects.values_list("code", "id"))
    validator = RowValidator(villages, allowed_village, today or timezone.localdate())
    counts = Counts()
    report = ErrorReport(file_format)
    rows = sheet.rows()
    header = next(rows, None) or []
    keys = header_keys(header)
    report.header(header)
    batch: list[RowData] = []
    raw_by_line: dict[int, list] = {}

    def report_problem(line: int, message: str) -> None:
        report.row(line, raw_by_line.get(line, []), message)

    def flush() -> None:
        with transaction.atomic():
            _write_batch(batch, allowed_village, counts, report_problem)
        batch.clear()
        raw_by_line.clear()
        if on_progress:
            on_progress(counts, total)

    for line, values in enumerate(rows, start=2):
        if not any(_text(v) for v in values):
            continue  # blank lines
        record = {key: value for key, value in zip(keys, values, strict=False) if key}
        result = validator.validate(line, record)
        counts.rows_done += 1
        if isinstance(result, str):
            counts.errors += 1
            report.row(line, values, result)
        else:
            batch.append(result)
            if allowed_village:
                raw_by_line[line] = values
        if counts.rows_done % batch_size == 0:
            flush()
    flush()
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
            job.save(update_fields=["status", "error", "finished_at"])
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
