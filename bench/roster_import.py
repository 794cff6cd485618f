"""Roster import: 100,000 members (25,000 households) from csv and from xlsx into one town, against raw COPY of
the same rows straight into PostgreSQL, plus the re-import of an unchanged file and the cost of encrypting.

Two raw COPY figures: the file into a scratch table (text columns, no index or constraint, temporary so no WAL),
and the same rows, validated and sealed beforehand, into the town's household and member tables (their indexes,
foreign keys and WAL), which is what any import that writes those tables has to pay.

Goal: csv ≥ 20,000 members/s end to end, within 5× of raw COPY; peak memory under 300 MB.
Usage: python bench/roster_import.py [--members 100000]
"""

from __future__ import annotations

import argparse
import csv
import io
import multiprocessing
import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta

from _setup import emit, setup

HEADER = [
    "户号",
    "村代码",
    "姓名",
    "身份证号",
    "与户主关系",
    "手机号",
    "基本医保类型",
    "困难类别",
    "户籍登记日期",
]
RELATIONS = ("户主", "配偶", "子女", "父母")
INSURANCE = ("城乡居民医保",) * 17 + ("城镇职工医保", "城镇职工医保", "无")
SURNAMES = "李王张刘陈杨唐蒋周邓何罗胡谢黄曾彭吴徐冉向谭袁赵"
GIVEN = "伟强军平刚勇杰涛明辉建华国庆志文斌芳娟敏静丽艳霞秀英兰凤玲红梅"


def rows(members: int, villages: list[str]):
    """Deterministic synthetic roster rows (valid, unique ID numbers), four members a household."""
    from mutualaid.platform import idnumbers

    rng = random.Random(7)
    for n in range(members):
        household = n // 4
        born = date(1940, 1, 1) + timedelta(days=(n * 37) % 29000)
        yield [
            f"H{household:06d}",
            villages[household % len(villages)],
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            idnumbers.make("500223", born, n // 29000 * 7 + n % 7),
            RELATIONS[n % 4],
            f"13{n % 10}{n:08d}"[:11] if n % 5 else "",
            INSURANCE[n % len(INSURANCE)],
            "低保" if n % 97 == 0 else "",
            max(date(2005, 3, 1), born).isoformat(),  # registered on the register no earlier than born
        ]


def write_files(members: int, villages: list[str], folder: str) -> tuple[str, str]:
    from openpyxl import Workbook

    csv_path, xlsx_path = os.path.join(folder, "roster.csv"), os.path.join(folder, "roster.xlsx")
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(members, villages))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(HEADER)
    for row in rows(members, villages):
        sheet.append(row)
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def copy_lines(batches: list[list]) -> tuple[str, str]:
    """COPY text for the households and members of sealed batches, with ids from the tables' sequences."""
    from django.db import connection

    from mutualaid.enrolment.roster import writer as roster_writer

    rows = [row for batch in batches for row in batch]
    numbers = list(dict.fromkeys(row.household_number for row in rows))
    with connection.cursor() as cursor:
        ids = roster_writer.take_ids(cursor, "enrolment_household", len(numbers))
        household_ids = dict(zip(numbers, ids, strict=True))
        member_ids = roster_writer.take_ids(cursor, "enrolment_member", len(rows))
    heads: dict[int, int] = {}
    for pk, row in zip(member_ids, rows, strict=True):
        if row.is_head:
            heads.setdefault(household_ids[row.household_number], pk)
    first = {}
    for row in rows:
        first.setdefault(row.household_number, row)
    NULL = "\\N"
    households = "".join(
        f"{household_ids[n]}\t{n}\t{first[n].village_id}\t{first[n].address}\t{heads.get(household_ids[n], NULL)}"
        "\n"
        for n in numbers
    )
    members = "".join(
        f"{pk}\t{household_ids[row.household_number]}\t{row.id_hash}\t{row.compared}\t{row.sealed}\n"
        for pk, row in zip(member_ids, rows, strict=True)
    )
    return households, members


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pss_mb(pid: int | str = "self") -> float:
    """Proportional set size: pages shared with another process (the reader is forked) count half to each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):  # a child that just left
        pass
    return 0.0


def children() -> list[int]:
    """This process's child processes (the import's reader)."""
    found, me = [], os.getpid()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == me:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


class MemorySampler:
    """The import's memory at each batch: this process and its reader process together, by proportional set
    size (RSS would count the pages they share twice)."""

    def __init__(self):
        self.peak = pss_mb()

    def __call__(self, counts, total) -> None:
        self.peak = max(self.peak, pss_mb() + sum(pss_mb(pid) for pid in children()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    setup("bench_roster")
    from django.db import connection, transaction

    from mutualaid.enrolment import roster
    from mutualaid.enrolment.models import Household, Member, Village
    from mutualaid.enrolment.roster import writer as roster_writer
    from mutualaid.platform import crypto
    from mutualaid.tenants import actions
    from mutualaid.tenants.models import Town
    from mutualaid.tenants.provisioning import provision_town

    town = Town.objects.filter(code="500152116").first()
    if town is None:
        town = actions.request_onboarding(actions.resolve_township("500152116"), enqueue=False)
        provision_town(town.pk)
        town.refresh_from_db()
    connection.set_tenant(town)
    villages = [f"500152116{200 + i:03d}" for i in range(1, 21)]
    Village.objects.bulk_create(
        [Village(code=c, name=f"基准{c[-3:]}村") for c in villages], ignore_conflicts=True
    )

    def clear() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE enrolment_member, enrolment_household CASCADE")

    def sealed_batches(csv_path: str) -> list[list]:
        """The file's rows validated and sealed, in import batches (outside any timing)."""
        validator = roster.RowValidator(
            dict(Village.objects.values_list("code", "id")), None, date.today(), roster.header_keys(HEADER)
        )
        with open(csv_path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            prepared = [validator.validate(n, row) for n, row in enumerate(reader, start=2)]
        return [
            roster.seal_batch(prepared[i : i + roster.BATCH_SIZE])
            for i in range(0, len(prepared), roster.BATCH_SIZE)
        ]

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        # Written by a child process, so that this process's peak memory is the import's alone.
        with multiprocessing.get_context("fork").Pool(1) as pool:
            csv_path, xlsx_path = pool.apply(write_files, (args.members, villages, folder))
        print(f"wrote {args.members:,} rows to csv and xlsx in {time.perf_counter() - started:.1f} s "
              f"(csv {os.path.getsize(csv_path) / 1e6:.1f} MB, xlsx {os.path.getsize(xlsx_path) / 1e6:.1f} MB)")  # fmt: skip
        baseline_mb = pss_mb()

        # Raw COPY of the file into a scratch table: text columns, no index, no constraint, no WAL (temporary).
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_copy (household text, village text, name text, id_number text, relation "
                "text, phone text, insurance text, hardship text, registered_on text)"
            )
            started = time.perf_counter()
            with open(csv_path, encoding="utf-8-sig") as handle:
                cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
            scratch_s = time.perf_counter() - started
            cursor.execute("SELECT count(*) FROM bench_copy")
            assert cursor.fetchone()[0] == args.members

        clear()
        started = time.perf_counter()
        counts, report = roster.import_file(csv_path, "csv")
        csv_s = time.perf_counter() - started
        report.discard()
        assert counts.created == args.members and counts.errors == 0, counts
        assert Member.objects.count() == args.members and Household.objects.count() == args.members // 4

        started = time.perf_counter()
        again, report = roster.import_file(csv_path, "csv")
        reimport_s = time.perf_counter() - started
        report.discard()
        assert (again.created, again.updated, again.unchanged) == (0, 0, args.members), again

        # Memory in runs of their own: reading /proc at every batch costs the import a few per cent of its time.
        clear()
        csv_memory = MemorySampler()
        roster.import_file(csv_path, "csv", on_progress=csv_memory)[1].discard()
        clear()
        started = time.perf_counter()
        xlsx_memory = MemorySampler()  # xlsx is timed with it: the sampling is a rounding error there
        counts, report = roster.import_file(xlsx_path, "xlsx", on_progress=xlsx_memory)
        xlsx_s = time.perf_counter() - started
        report.discard()
        assert counts.created == args.members, counts
        peak = max(csv_memory.peak, xlsx_memory.peak)

        # After the memory reading (these stages hold every row at once).
        batches = sealed_batches(csv_path)

        # Raw COPY of the same rows, already validated and sealed, straight into the town's tables in one
        # transaction: what writing them costs the database (indexes, foreign keys, WAL) with no look-up at all.
        clear()
        household_lines, member_lines = copy_lines(batches)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY enrolment_household ({', '.join(roster_writer.HOUSEHOLD_COPY_COLUMNS)}) FROM STDIN",
                io.StringIO(household_lines),
            )
            cursor.copy_expert(
                f"COPY enrolment_member ({', '.join(roster_writer.MEMBER_COPY_COLUMNS)}) FROM STDIN",
                io.StringIO(member_lines),
            )
        table_copy_s = time.perf_counter() - started
        assert Member.objects.count() == args.members
        del household_lines, member_lines

        # The import's database share: the same sealed batches through the batch writer (look-ups, COPY, heads).
        clear()
        started = time.perf_counter()
        for batch in batches:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                roster_writer.write_batch(batch)
        writer_s = time.perf_counter() - started
        del batches

    # What encryption costs (and a gauge of how fast the machine runs today): the AES-GCM tokens the platform
    # writes against the Fernet tokens it wrote before (still read), one value at a time.
    sample = [f"5002231980010{n:05d}" for n in range(20_000)]
    started = time.perf_counter()
    crypto.encrypt_many(sample)
    gcm_us = (time.perf_counter() - started) / len(sample) * 1e6
    fernet = crypto._fernet()
    started = time.perf_counter()
    for value in sample:
        fernet.encrypt(value.encode())
    fernet_us = (time.perf_counter() - started) / len(sample) * 1e6
    connection.set_schema_to_public()

    timings = (
        ("raw COPY into a scratch table", "scratch_copy", scratch_s),
        ("raw COPY into town tables", "table_copy", table_copy_s),
        ("batch writer, sealed rows", "writer", writer_s),
        ("csv import (new members)", "csv", csv_s),
        ("csv re-import (unchanged)", "reimport", reimport_s),
        ("xlsx import (new members)", "xlsx", xlsx_s),
    )
    rate = {key: args.members / seconds for _, key, seconds in timings}
    print(f"{'path':<32}{'seconds':>9}{'members/s':>12}{'× scratch COPY':>16}{'× table COPY':>14}")
    for label, key, seconds in timings:
        print(
            f"{label:<32}{seconds:>9.2f}{rate[key]:>12,.0f}{seconds / scratch_s:>16.1f}{seconds / table_copy_s:>14.1f}"
        )
    print(f"encryption: AES-GCM {gcm_us:.1f} µs/value, Fernet (tokens before v2) {fernet_us:.1f} µs/value; "
          "2 values a member")  # fmt: skip
    print(
        f"peak memory during imports (PSS of the importing and reader processes, sampled each batch) {peak:.0f} MB:"
        f" csv {csv_memory.peak:.0f}, xlsx {xlsx_memory.peak:.0f}; before importing {baseline_mb:.0f} MB; process"
        " peak RSS incl. migrations "
        f"{peak_mb():.0f} MB; goal < 300 MB"
    )
    print(
        f"goal: csv ≥ 20,000 members/s ({'met' if rate['csv'] >= 20000 else 'NOT met'}: {rate['csv']:,.0f}); "
        f"within 5× of raw COPY into the town tables ({'met' if csv_s / table_copy_s <= 5 else 'NOT met'}: "
        f"{csv_s / table_copy_s:.1f}×); of COPY into a scratch table {csv_s / scratch_s:.1f}×; "
        f"memory < 300 MB ({'met' if peak < 300 else 'NOT met'})"
    )
    emit(
        {
            "bench": "roster_import",
            "members": args.members,
            "csv_members_per_s": round(rate["csv"]),
            "xlsx_members_per_s": round(rate["xlsx"]),
            "reimport_members_per_s": round(rate["reimport"]),
            "table_copy_members_per_s": round(rate["table_copy"]),
            "scratch_copy_members_per_s": round(rate["scratch_copy"]),
            "writer_members_per_s": round(rate["writer"]),
            "csv_vs_table_copy_ratio": round(csv_s / table_copy_s, 2),
            "csv_vs_scratch_copy_ratio": round(csv_s / scratch_s, 2),
            "fernet_us_per_value": round(fernet_us, 1),
            "gcm_us_per_value": round(gcm_us, 1),
            "peak_memory_mb": round(peak),
        }
    )


if __name__ == "__main__":
    main()
