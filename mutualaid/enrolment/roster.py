"""Roster import (花名册导入): csv and xlsx files as village coordinators keep them, one row per member.

Streaming in constant memory (csv.reader over the byte stream; openpyxl ``read_only``), validated and sealed
(encrypted) row by row in a reader thread, and written in batches by ``roster_writer``: new households and members
by COPY, changed ones by set-based updates, unchanged ones not at all. Members are matched by the keyed hash of
their ID number, so re-importing the same file changes nothing and a corrected file adds or updates. Rows with
errors are skipped and copied, with an error column, into an error report in the file's own format.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import os
import pickle
import posixpath
import queue
import signal
import tempfile
import threading
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import IO, NoReturn
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from mutualaid.enrolment import fields, roster_writer
from mutualaid.enrolment.error_codes import EnrolmentErrorCode as Code
from mutualaid.enrolment.models import ImportJob, ImportStatus, Village
from mutualaid.enrolment.roster_writer import SealedRow, WriteCounts
from mutualaid.platform import crypto, idnumbers
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.crypto import mask_phone

BATCH_SIZE = 2500  # rows a transaction; the reader and the writer each hold about one batch
FIRST_BATCH_SIZE = 250
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
        """Rows after the header: lines of a csv, ``<row>`` elements of a workbook's first sheet (quoted line
        breaks and empty rows make it an estimate, good for a progress bar)."""
        if self.format == "csv":
            lines, last = 0, b"\n"
            with open(self.path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    lines, last = lines + chunk.count(b"\n"), chunk[-1:]
            return max(0, lines + (last != b"\n") - 1)  # minus the header
        # Counted in the XML: openpyxl reads the size from the sheet's <dimension>, and where a file has none
        # (openpyxl's own files, some WPS ones) it parses the whole sheet to find it and then reports none.
        with zipfile.ZipFile(self.path) as archive, archive.open(_first_sheet(archive)) as sheet:
            rows = count_row_tags(sheet)
        return max(0, rows - 1)

    def rows(self) -> Generator[list, None, None]:
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


def count_row_tags(stream: IO[bytes], chunk_size: int = 1 << 20) -> int:
    """``<row>`` elements in a sheet's XML, read a chunk at a time."""
    rows, carry = 0, b""
    for chunk in iter(lambda: stream.read(chunk_size), b""):
        text = carry + chunk
        rows += text.count(b"<row ") + text.count(b"<row>")
        carry = text[
            -4:
        ]  # a tag cut at the chunk's end is counted with the next (it is 5 bytes: never twice)
    return rows


_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SPREADSHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The archive path of a workbook's first sheet, the one imports read (xl/workbook.xml and its relations)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_SPREADSHEET}sheets/{_SPREADSHEET}sheet")
    if sheet is None:
        raise KeyError("no sheet")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    wanted = sheet.get(f"{_RELATIONSHIPS}id")
    target = next(r.get("Target", "") for r in relations if r.get("Id") == wanted)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


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


@dataclass(slots=True)
class RowData:
    """A valid row: values parsed, the ID number normalised (its birth date and sex are read off it when sealed)."""

    line: int
    household_number: str
    village_id: int
    name: str
    id_number: str
    id_hash: str
    relation: str
    phone: str
    phone_hash: str
    insurance_type: str
    hardship: str  # as an array's text: "{dibao,tekun}", "{}" for none
    registered_on: date
    address: str


def _text(value) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# The columns validate() reads, in the order it unpacks them.
_READ_ORDER = (
    "household_number", "village_code", "name", "id_number", "relation", "phone", "insurance_type", "hardship",
    "registered_on", "address",
)  # fmt: skip


class RowValidator:
    """Validates rows one by one. Values that repeat down a roster (relations, insurance types, categories,
    dates) are parsed once per import and cached."""

    def __init__(
        self, villages: dict[str, int], allowed_village: str | None, today: date, keys: list[str | None]
    ):
        self.villages, self.allowed_village, self.today = villages, allowed_village, today
        # A valid ID number's first 17 digits decide its check character: as an int they key the IDs already seen
        # in a third of the memory of the hash (the one part of reading that grows with the file).
        self.seen_ids: dict[int, int] = {}  # → first line
        self.household_villages: dict[str, str] = {}
        index = {key: i for i, key in enumerate(keys) if key}
        # A row is cut or padded to `width` cells plus one empty cell, which absent optional columns read.
        self._width = max(index.values(), default=-1) + 1
        self._padding = [None] * (self._width + 1)
        self._pick = itemgetter(*(index.get(key, self._width) for key in _READ_ORDER))
        # Parsed values by raw cell, for the cells that parse (failures go through _parsed each time).
        self._relations: dict = {}
        self._insurance_types: dict = {}
        self._hardships: dict = {}
        self._registered_dates: dict = {}
        self._hash = crypto.lookup_hasher()
        self._id_problem = idnumbers.ProblemFinder(today)
        self._parsers = {
            "relation": (fields.relation, self._relations),
            "insurance_type": (fields.insurance, self._insurance_types),
            "hardship": (lambda v: "{" + ",".join(sorted(fields.hardship(v))) + "}", self._hardships),
            "registered_on": (
                lambda v: fields.a_date(v, today=today, label="户籍登记日期"),
                self._registered_dates,
            ),
        }

    def _parsed(self, key: str, raw, problems: list[str]):
        """A cell parsed (and cached) or, when it does not parse, None with its problem added."""
        parse, cache = self._parsers[key]
        try:
            cache[raw] = result = parse(raw)  # cell values are str, numbers or dates: hashable
        except fields.FieldProblem as problem:
            problems.append(problem.message)
            return None
        return result

    def validate(self, line: int, values: list) -> RowData | str:
        row = list(values[: self._width])
        row += self._padding[len(row) :]
        (number, village_code, name, id_text, relation, phone, insurance, hardship, registered, address) = (
            self._pick(row)
        )
        # Cells are nearly always text: strip them here rather than in a call per cell.
        number = number.strip() if number.__class__ is str else _text(number)
        village_code = village_code.strip() if village_code.__class__ is str else _text(village_code)
        name = name.strip() if name.__class__ is str else _text(name)
        phone = phone.strip() if phone.__class__ is str else _text(phone)
        id_text = (id_text.strip() if id_text.__class__ is str else _text(id_text)).upper()
        problems: list[str] = []
        if not number:
            problems.append("请填写户号")
        elif len(number) > 32:
            problems.append("户号不超过 32 个字符")
        village_id = self.villages.get(village_code)
        if village_id is None:
            problems.append(f"村代码“{village_code}”不是本镇的村" if village_code else "请填写村代码")
        elif self.allowed_village and village_code != self.allowed_village:
            problems.append(f"只能导入本村（{self.allowed_village}）的成员")
        if not name:
            problems.append("请填写姓名")
        elif len(name) > 64:
            problems.append("姓名过长")
        found = self._id_problem(id_text)
        if found is not None:
            problems.append(found[1])
        if phone:
            if not (len(phone) == 11 and phone.isdigit()):
                phone = phone.replace(" ", "").replace("-", "").removeprefix("+86")
            if not (len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789"):
                problems.append("手机号码格式不正确（应为 11 位手机号）")
        relation = self._relations.get(relation) or self._parsed("relation", relation, problems)
        insurance = self._insurance_types.get(insurance) or self._parsed(
            "insurance_type", insurance, problems
        )
        hardship = self._hardships.get(hardship) or self._parsed("hardship", hardship, problems)
        registered = self._registered_dates.get(registered) or self._parsed(
            "registered_on", registered, problems
        )
        if found is None:
            first = self.seen_ids.setdefault(int(id_text[:17]), line)
            if first != line:
                problems.append(f"身份证号与第 {first} 行重复")
        if number and village_id is not None:
            known = self.household_villages.setdefault(number, village_code)
            if known != village_code:
                problems.append(f"户号 {number} 在前面的行属于村 {known}")
        if problems:
            return "；".join(problems)
        assert village_id is not None  # else it is among the problems above
        hashed = self._hash
        return RowData(
            line,
            number,
            village_id,
            name,
            id_text,
            hashed(id_text),
            relation,
            phone,
            hashed(phone) if phone else "",
            insurance,
            hardship,
            registered,
            (address.strip() if address.__class__ is str else _text(address))[:200],
        )


# --- writing -----------------------------------------------------------------------------------------------------


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
    writer's look-ups take them: see roster_writer._members.)"""
    roster_writer.use_key_indexes(cursor)
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
        [roster_writer.array_literal({r.household_number for r in rows}), allowed_village],
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


@dataclass
class Batch:
    """Validated rows of one batch, sealed in the reader process."""

    rows: list[SealedRow]
    errors: list[tuple[int, list, str]]  # rows refused by validation: line, values, message
    raw: dict[int, list]  # values by line, kept for a coordinator's import (refusals found in the database)
    rows_done: int


def seal_batch(rows: list[RowData]) -> list[SealedRow]:
    """Encrypt each row's ID and phone number and render its member COPY line (pure CPU: the reader's work)."""
    return list(map(SealedRow._make, _sealed_values(rows)))


def _sealed_values(rows: list[RowData]) -> list[tuple]:
    """``seal_batch`` as plain tuples, the form the reader process sends (they pickle at twice the speed)."""
    id_tokens = crypto.encrypt_many([r.id_number for r in rows])
    phone_tokens = iter(crypto.encrypt_many([r.phone for r in rows if r.phone]))
    compared_text = roster_writer.compared_text
    dates: dict[date, str] = {}  # register dates repeat down a roster
    sealed = []
    for row, id_token in zip(rows, id_tokens, strict=True):
        phone, id_number, registered = row.phone, row.id_number, row.registered_on
        registered_text = dates.get(registered) or dates.setdefault(registered, registered.isoformat())
        sealed.append(
            (
                row.line,
                row.household_number,
                row.village_id,
                row.address,
                row.id_hash,
                compared_text(
                    row.relation, row.name, row.phone_hash, row.insurance_type, row.hardship, registered_text
                ),
                f"{id_token}\t{id_number[:3]}***********{id_number[14:]}\t{'F' if id_number[16] in '02468' else 'M'}\t"
                f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}\t"
                + (f"{next(phone_tokens)}\t{mask_phone(phone)}\tactive" if phone else "\t\tactive"),
            )
        )
    return sealed


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
        counts.add(roster_writer.write_batch(rows))


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


# A batch as the reader process sends it: sealed rows as plain tuples, refused rows, raw values, rows read.
_SentBatch = tuple[list[tuple], list[tuple[int, list, str]], dict[int, list], int]


def _read_batches(
    sheet_rows, validator: RowValidator, allowed_village: str | None, batch_size: int
) -> Iterator[_SentBatch]:
    """Parse, validate and seal rows into batches (CPU-bound; no database)."""
    rows: list[RowData] = []
    errors: list[tuple[int, list, str]] = []
    raw: dict[int, list] = {}
    done = 0
    # Batches start short and double up to batch_size: the writer starts at once instead of waiting on a full one.
    size = cut = min(batch_size, FIRST_BATCH_SIZE)
    for line, values in enumerate(sheet_rows, start=2):
        first = values[0] if values else None
        if not (first.__class__ is str and first.strip()) and not any(_text(v) for v in values):
            continue  # blank lines
        result = validator.validate(line, values)
        done += 1
        if isinstance(result, str):
            errors.append((line, values, result))
        else:
            rows.append(result)
            if allowed_village:
                raw[line] = values
        if done == cut:
            yield _sealed_values(rows), errors, raw, done
            rows, errors, raw = [], [], {}
            size = min(2 * size, batch_size)
            cut += size
    yield _sealed_values(rows), errors, raw, done


class ReaderProcess:
    """Batches from a forked child process that parses, validates and seals them (读取进程).

    A process rather than a thread: validation and encryption are pure Python and would share one GIL with the
    writer, which made the two take turns (bench/roster_import.py). Forked, so it starts in milliseconds with the
    validator already built. The child touches no database and leaves by ``os._exit``, so nothing of the
    parent's (its database connection, temporary files) is closed or flushed by it.

    Batches go down a pipe to a receiving thread here, which unpickles the next batch while the writer waits on
    the database (the GIL is free then). It takes a batch only when the one before has been handed on, so this
    process holds two batches at most and the child, blocked on the pipe, one: memory stays constant."""

    def __init__(self, batches: Iterator[_SentBatch]):
        read_end, write_end = os.pipe()
        # Until close(), neither process's collections visit what existed at the fork: a collection writes to
        # every object it visits, and each page written would be copied, doubling the memory the two share.
        gc.freeze()
        try:
            self.pid = os.fork()
        except OSError:
            gc.unfreeze()
            raise
        if self.pid == 0:  # the child
            os.close(read_end)
            _send_batches(batches, write_end)  # never returns
        os.close(write_end)
        self._pipe = os.fdopen(read_end, "rb")
        self._received: queue.Queue = queue.Queue()
        self._room = threading.Semaphore(1)  # one batch received ahead of the one being written, no more
        self._closing = threading.Event()
        self._ended = False
        self._receiver = threading.Thread(target=self._receive, name="roster-receiver", daemon=True)
        self._receiver.start()

    def __iter__(self) -> Iterator[Batch]:
        while True:
            kind, payload = self._received.get()
            if kind == "batch":
                self._room.release()
                yield payload
            elif kind == "end":
                self._ended = True
                return
            elif kind == "error":
                raise payload
            else:
                raise RuntimeError("花名册读取进程意外退出") from payload

    def _receive(self) -> None:
        while not self._closing.is_set():
            if not self._room.acquire(timeout=0.2):
                continue
            try:
                kind, payload = pickle.load(self._pipe)
            except Exception as exc:  # end of file or a torn message: the child died
                kind, payload = "lost", exc
            if kind == "batch":
                rows, errors, raw, rows_done = payload
                payload = Batch(list(map(SealedRow._make, rows)), errors, raw, rows_done)
            self._received.put((kind, payload))
            if kind != "batch":
                return

    def close(self) -> None:
        self._closing.set()
        if not self._ended:  # the receiver may be waiting on the pipe: the child's end closes it
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self._receiver.join()
        self._pipe.close()
        gc.unfreeze()


def _send_batches(batches: Iterator[_SentBatch], fd: int) -> NoReturn:
    status = 0
    try:
        with os.fdopen(fd, "wb") as pipe:
            try:
                for batch in batches:
                    pickle.dump(("batch", batch), pipe, protocol=5)
                    pipe.flush()
                message: tuple = ("end", None)
            except Exception as exc:  # raised again in the parent, like any error of reading the file
                message = ("error", _picklable(exc))
            pickle.dump(message, pipe, protocol=5)
    except BaseException:
        status = 1  # the parent went away
    finally:
        os._exit(status)


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


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
