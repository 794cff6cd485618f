"""Roster batches into the database: what is new, changed or unchanged (pure planning), constant queries a batch,
households whose rows span batches, and the retry when another writer adds a member between look-up and COPY."""

import csv
import os
import signal
import time
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from mutualaid.enrolment import roster
from mutualaid.enrolment.models import Household, Member
from mutualaid.enrolment.roster import writer as roster_writer
from mutualaid.enrolment.roster.writer import ExistingHousehold, ExistingMember, plan_batch
from mutualaid.platform import crypto, idnumbers
from tests.enrolment.test_roster import HEADER, _id, _rows

# --- planning (pure) ---------------------------------------------------------------------------------------------


def _row(
    household_number: str = "H1",
    village_id: int = 1,
    address: str = "",
    name: str = "王一",
    id_hash: str = "a" * 64,
    relation: str = "head",
    phone_hash: str = "",
    insurance_type: str = "resident",
    hardship: tuple[str, ...] = (),
    registered_on: date = date(2001, 5, 6),
) -> roster_writer.SealedRow:
    compared = roster_writer.compared_text(
        relation, name, phone_hash, insurance_type, "{" + ",".join(hardship) + "}", registered_on.isoformat()
    )
    return roster_writer.SealedRow(2, household_number, village_id, address, id_hash, compared, "")


def _stored(row: roster_writer.SealedRow, member_id: int = 7, household_id: int = 3) -> ExistingMember:
    return ExistingMember(member_id, household_id, row.compared)


def test_a_new_household_takes_the_first_address_its_rows_give():
    rows = [
        _row(id_hash="a" * 64),
        _row(id_hash="b" * 64, address="一组 3 号"),
        _row(id_hash="c" * 64, address="二组"),
    ]
    plan = plan_batch(rows, {}, {})
    assert plan.new_households == {"H1": (1, "一组 3 号")}
    assert plan.new_members == rows and not plan.changed_members and plan.unchanged == 0


def test_an_unchanged_member_and_household_are_left_alone():
    row = _row(address="一组 3 号")
    plan = plan_batch([row], {row.id_hash: _stored(row)}, {"H1": ExistingHousehold(3, 1, "一组 3 号")})
    assert (plan.new_households, plan.changed_households, plan.new_members, plan.changed_members) == (
        {},
        {},
        [],
        [],
    )
    assert plan.unchanged == 1


def test_an_empty_address_cell_never_clears_the_stored_address():
    row = _row(address="")
    plan = plan_batch([row], {row.id_hash: _stored(row)}, {"H1": ExistingHousehold(3, 1, "一组 3 号")})
    assert plan.changed_households == {} and plan.unchanged == 1


def test_any_compared_field_that_differs_makes_the_member_changed():
    stored = _row()
    household = {"H1": ExistingHousehold(3, 1, "")}
    for changed in (
        _row(name="王二"),
        _row(relation="spouse"),
        _row(phone_hash="f" * 64),
        _row(insurance_type="none"),
        _row(hardship=("dibao",)),
        _row(registered_on=date(2002, 1, 1)),
    ):
        plan = plan_batch([changed], {stored.id_hash: _stored(stored)}, household)
        assert plan.changed_members == [(7, changed)], changed


def test_a_member_moving_to_a_new_household_is_a_change_and_the_household_is_new():
    row = _row(household_number="H2")
    plan = plan_batch([row], {row.id_hash: _stored(row, household_id=3)}, {})
    assert plan.new_households == {"H2": (1, "")}
    assert plan.changed_members == [(7, row)]


def test_a_household_moved_to_another_village_or_given_an_address_is_changed():
    row = _row(village_id=2, address="三组")
    plan = plan_batch([row], {row.id_hash: _stored(row)}, {"H1": ExistingHousehold(3, 1, "")})
    assert plan.changed_households == {3: (2, "三组")}


# --- writing -----------------------------------------------------------------------------------------------------


@pytest.fixture
def village(in_xinsheng, build):
    return build.village("500152116201", "天池村")


def _sealed(village, households: int, size: int = 3) -> list[roster_writer.SealedRow]:
    validator = roster.RowValidator(
        {village.code: village.pk}, None, date.today(), roster.header_keys(HEADER)
    )
    rows = [
        validator.validate(n, values) for n, values in enumerate(_rows(village.code, households, size), 2)
    ]
    assert all(isinstance(row, roster.RowData) for row in rows)
    return roster.seal_batch(rows)


class _Statements:
    """Counts the statements a block sends (COPY goes around the execute wrapper: counted by the writer's own
    wrapper below)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _statements_to_write(rows) -> int:
    counter = _Statements()
    with connection.execute_wrapper(counter), transaction.atomic():
        roster_writer.write_batch(rows)
    return counter.count


def test_a_batch_costs_the_same_statements_for_10_or_100_households(village):
    assert _statements_to_write(_sealed(village, 10)) == _statements_to_write(
        [r for r in _sealed(village, 110) if r.household_number >= "X0010"]
    )


def test_new_rows_are_copied_with_their_heads_and_can_be_read_back(village):
    counts = roster_writer.write_batch(_sealed(village, 2, 2))
    assert (counts.created, counts.households_created, counts.updated, counts.unchanged) == (4, 2, 0, 0)
    household = Household.objects.get(number="X0001")
    assert household.head.name == "王2" and household.village_id == village.pk
    member = Member.objects.get(name="王3")
    assert crypto.decrypt(member.id_number_encrypted) == _id(3) and member.id_masked == idnumbers.mask(_id(3))
    assert crypto.decrypt(member.phone_encrypted) == "13912340003" and member.phone_masked == "139****0003"
    assert (member.sex, member.birth_date, member.status) == (
        idnumbers.parse(_id(3)).sex,
        idnumbers.parse(_id(3)).birth_date,
        "active",
    )


def test_a_household_whose_head_comes_in_a_later_batch_gets_it(village, tmp_path):
    rows = _rows(village.code, 2, 2)
    rows = [rows[1], rows[3], rows[0], rows[2]]  # the members first, both heads in the second batch
    path = tmp_path / "roster.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    counts, report = roster.import_file(str(path), "csv", batch_size=2)
    report.discard()
    assert (counts.created, counts.households_created) == (4, 2)
    assert Household.objects.get(number="X0000").head.name == "王0"
    assert Household.objects.get(number="X0001").head.name == "王2"


def test_a_member_added_between_look_up_and_copy_makes_the_batch_retry(village, monkeypatch):
    rows = _sealed(village, 1, 2)
    roster_writer.write_batch(rows[:1])  # stands for a member registered through the API meanwhile
    look_ups = []
    real_members = roster_writer._members

    def first_look_up_misses(cursor, batch):
        look_ups.append(len(batch))
        return {} if len(look_ups) == 1 else real_members(cursor, batch)

    monkeypatch.setattr(roster_writer, "_members", first_look_up_misses)
    counts = roster_writer.write_batch(rows)
    assert len(look_ups) == 2
    assert (counts.created, counts.unchanged) == (1, 1)
    assert Member.objects.filter(household__number="X0000").count() == 2


def _sealed_row(village, name: str, address: str = "", phone: str = "13912340000") -> roster_writer.SealedRow:
    values = _rows(village.code, 1, 1)[0]
    values[2], values[5] = name, phone
    validator = roster.RowValidator(
        {village.code: village.pk}, None, date.today(), roster.header_keys([*HEADER, "住址"])
    )
    row = validator.validate(2, [*values, address])
    assert isinstance(row, roster.RowData)
    return roster.seal_batch([row])[0]


def test_backslashes_and_tabs_in_names_and_addresses_survive_the_copy(village):
    row = _sealed_row(village, "王\\一\t二", "一组\\3号\t东")
    roster_writer.write_batch([row])
    member = Member.objects.select_related("household").get(id_hash=row.id_hash)
    assert (member.name, member.household.address) == ("王\\一\t二", "一组\\3号\t东")


def test_a_stored_name_with_backslashes_compares_equal_and_a_changed_one_is_stored_exactly(village):
    # Given a member whose name needs escaping in COPY text
    roster_writer.write_batch([_sealed_row(village, "王\\一\t二")])
    token = Member.objects.get().phone_encrypted
    # When the same row comes again, it is unchanged
    assert roster_writer.write_batch([_sealed_row(village, "王\\一\t二")]).unchanged == 1
    # When the name and the phone change, both are stored as given
    counts = roster_writer.write_batch([_sealed_row(village, "王\\二\n三", phone="13812345678")])
    member = Member.objects.get()
    assert counts.updated == 1 and member.name == "王\\二\n三"
    assert member.phone_encrypted != token and crypto.decrypt(member.phone_encrypted) == "13812345678"
    assert member.phone_masked == "138****5678"


# --- the reader process --------------------------------------------------------------------------------------------


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_an_error_while_reading_reaches_the_writer_and_the_reader_is_reaped():
    def batches():
        yield [], [], {}, 1
        raise ValidationError("文件无法读取", code="unsupported_file_type")

    reader = roster.ReaderProcess(batches())
    received = []
    with pytest.raises(ValidationError) as raised:
        for batch in reader:
            received.append(batch.rows_done)
    reader.close()
    assert received == [1] and raised.value.code == "unsupported_file_type"
    assert _reaped(reader.pid)


def test_a_reader_that_dies_fails_the_import_instead_of_hanging_it():
    def batches():
        yield [], [], {}, 1
        time.sleep(60)

    reader = roster.ReaderProcess(batches())
    received = iter(reader)
    assert next(received).rows_done == 1
    os.kill(reader.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="读取进程意外退出"):
        next(received)
    reader.close()
    assert _reaped(reader.pid)


def test_a_failed_write_stops_the_reader_and_keeps_the_batches_already_committed(
    village, tmp_path, monkeypatch
):
    path = tmp_path / "roster.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *_rows(village.code, 3, 2)])
    readers = []

    class RecordedReader(roster.ReaderProcess):
        def __init__(self, batches):
            super().__init__(batches)
            readers.append(self)

    def fail_after_the_first_batch(counts, total):
        raise RuntimeError("写入中断")

    monkeypatch.setattr(roster.job, "ReaderProcess", RecordedReader)
    with pytest.raises(RuntimeError):
        roster.import_file(str(path), "csv", batch_size=2, on_progress=fail_after_the_first_batch)
    assert _reaped(readers[0].pid)
    assert Member.objects.count() == 2


def test_look_ups_by_key_use_the_unique_index_even_where_the_planner_would_scan(in_xinsheng):
    # Given a new town's households: 5,000 rows and no statistics yet
    def plan(cursor) -> str:
        cursor.execute(
            "EXPLAIN SELECT id FROM new_households WHERE number = ANY((SELECT %s::text[])::text[])",
            [roster_writer.array_literal([f"H{n:06d}" for n in range(2500)])],
        )
        return "\n".join(line for (line,) in cursor.fetchall())

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE new_households (LIKE enrolment_household INCLUDING ALL) ON COMMIT DROP"
        )
        cursor.execute(
            "INSERT INTO new_households (id, number, village_id, address)"
            " SELECT n, 'H' || lpad(n::text, 6, '0'), 1, '' FROM generate_series(1, 5000) n"
        )
        # The planner takes the sub-select's keys for a handful and would compare every row with every key
        assert "Seq Scan on new_households" in plan(cursor)
        # When the writer's look-ups are planned, they probe the index
        roster_writer.use_key_indexes(cursor)
        assert "Index Scan on new_households_number" in plan(cursor)
