"""Writing validated, sealed roster rows into the town's households and members (花名册入库), a batch at a time.

Each batch looks up the members (by ID hash) and households (by 户号) it names, then decides in Python
(``plan_batch``, pure) what is new, what changed and what is unchanged. New rows go in by COPY straight into the
tables, with ids taken from the tables' sequences beforehand, so a new household gets its head (户主) in the same
COPY instead of a second pass; changed rows are updated set-based; unchanged rows are not touched at all, so a
re-import keeps their tokens and ``updated_at``.

Imports of one town take turns batch by batch (a transaction-level advisory lock), so the look-up and the COPY
see the same rows; a member registered concurrently through the API makes the batch retry once.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction

# A member's COPY line: id and household, then the look-up hash, then the fields a re-import compares (the sealed
# row's ``compared``), then the rest (its ``sealed``).
COMPARED_COLUMNS = (
    "relation",
    "name",
    "phone_hash",
    "insurance_type",
    "hardship_categories",
    "registered_on",
)
SEALED_COLUMNS = (
    "id_number_encrypted", "id_masked", "sex", "birth_date", "phone_encrypted", "phone_masked", "status",
)  # fmt: skip
# Timestamps are left to the columns' defaults: parsing them cost the database a twentieth of an import.
MEMBER_COPY_COLUMNS = ("id", "household_id", "id_hash", *COMPARED_COLUMNS, *SEALED_COLUMNS)
HOUSEHOLD_COPY_COLUMNS = ("id", "number", "village_id", "address", "head_id")
_HEAD_TEXT = "head\t"  # how a head's ``compared`` begins
_NULL = "\\N"  # COPY text format's NULL
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r"\\(.)")


def copy_text(value: str) -> str:
    """A value for COPY's text format (backslash, tab and line breaks escaped)."""
    return value.translate(_ESCAPES)


def from_copy_text(text: str) -> str:
    """The value ``copy_text`` escaped."""
    return _ESCAPED.sub(lambda found: _UNESCAPES[found[1]], text) if "\\" in text else text


class SealedRow(NamedTuple):
    """A validated, sealed roster row, as the writer needs it (made by ``roster.seal_batch``). Most fields travel
    as their COPY text already: the reader process renders them, and new members, nearly all of an import, need
    nothing else."""

    line: int
    household_number: str
    village_id: int
    address: str
    id_hash: str
    compared: str  # COMPARED_COLUMNS as COPY text, relation first
    sealed: str  # SEALED_COLUMNS as COPY text

    @property
    def is_head(self) -> bool:
        return self.compared.startswith(_HEAD_TEXT)


def compared_text(
    relation: str, name: str, phone_hash: str, insurance_type: str, hardship: str, registered_on: str
) -> str:
    """COMPARED_COLUMNS as COPY text (a sealed row's ``compared``; a stored member's, to tell if it changed).
    ``hardship`` is the categories array's text ("{dibao,tekun}"), ``registered_on`` an ISO date."""
    return f"{relation}\t{copy_text(name)}\t{phone_hash}\t{insurance_type}\t{hardship}\t{registered_on}"


@dataclass(frozen=True, slots=True)
class ExistingMember:
    id: int
    household_id: int
    compared: str  # as SealedRow.compared


@dataclass(frozen=True, slots=True)
class ExistingHousehold:
    id: int
    village_id: int
    address: str


@dataclass
class BatchPlan:
    """What one batch writes. Household keys are 户号; members are rows of the batch."""

    new_households: dict[str, tuple[int, str]] = field(default_factory=dict)  # number → (village_id, address)
    changed_households: dict[int, tuple[int, str]] = field(default_factory=dict)  # id → (village_id, address)
    new_members: list = field(default_factory=list)
    changed_members: list[tuple[int, SealedRow]] = field(default_factory=list)  # (member id, row)
    unchanged: int = 0


def plan_batch(
    rows: Sequence[SealedRow],
    members: dict[str, ExistingMember],
    households: dict[str, ExistingHousehold],
) -> BatchPlan:
    """Sort a batch into new, changed and unchanged households and members (pure).

    A household's address is the first non-empty one its rows give; an empty cell never clears a stored address.
    A member has changed when its household, name, relation, phone, insurance, hardship or register date differ."""
    plan = BatchPlan()
    addresses: dict[str, str] = {}
    for row in rows:
        if row.address and row.household_number not in addresses:
            addresses[row.household_number] = row.address
    for row in rows:
        number = row.household_number
        known = households.get(number)
        if known is None:
            plan.new_households.setdefault(number, (row.village_id, addresses.get(number, "")))
        elif known.id not in plan.changed_households:
            address = addresses.get(number) or known.address
            if (row.village_id, address) != (known.village_id, known.address):
                plan.changed_households[known.id] = (row.village_id, address)
        member = members.get(row.id_hash)
        if member is None:
            plan.new_members.append(row)
        elif known is None or _differs(member, row, known.id):
            plan.changed_members.append((member.id, row))
        else:
            plan.unchanged += 1
    return plan


def _differs(member: ExistingMember, row: SealedRow, household_id: int) -> bool:
    return member.household_id != household_id or member.compared != row.compared


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    households_created: int = 0


def write_batch(rows: Sequence[SealedRow]) -> WriteCounts:
    """Write one batch in its own savepoint; retried once if a concurrent writer added one of its members."""
    for attempt in (1, 2):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                return _write(cursor, rows)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write(cursor, rows: Sequence[SealedRow]) -> WriteCounts:
    # Taken per batch so that two imports of the same town interleave rather than race.
    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '.roster_import', 0))")
    use_key_indexes(cursor)
    households = _households(cursor, rows)
    plan = plan_batch(rows, _members(cursor, rows), households)
    new_ids = take_ids(cursor, "enrolment_household", len(plan.new_households))
    household_ids = dict(zip(plan.new_households, new_ids, strict=True))
    member_ids = take_ids(cursor, "enrolment_member", len(plan.new_members))
    household_of = {number: found.id for number, found in households.items()} | household_ids
    heads = _first_heads(plan.changed_members, household_of)
    member_lines = []
    for pk, row in zip(member_ids, plan.new_members, strict=True):  # one pass: lines and heads (ids ascend)
        household = household_of[row.household_number]
        member_lines.append(f"{pk}\t{household}\t{row.id_hash}\t{row.compared}\t{row.sealed}\n")
        if row.compared.startswith(_HEAD_TEXT) and household not in heads:
            heads[household] = pk
    if plan.new_households:
        _copy(
            cursor,
            "enrolment_household",
            HOUSEHOLD_COPY_COLUMNS,
            (
                f"{household_ids[number]}\t{copy_text(number)}\t{village_id}\t{copy_text(address)}\t"
                f"{heads.get(household_ids[number], _NULL)}\n"
                for number, (village_id, address) in plan.new_households.items()
            ),
        )
    if plan.changed_households:
        _update_households(cursor, plan.changed_households)
    if member_lines:
        _copy(cursor, "enrolment_member", MEMBER_COPY_COLUMNS, member_lines)
    if plan.changed_members:
        _update_members(cursor, plan.changed_members, household_of)
    created = set(household_ids.values())
    existing_heads = {h: m for h, m in heads.items() if h not in created}
    if existing_heads:
        _update_heads(cursor, existing_heads)
    return WriteCounts(
        created=len(plan.new_members),
        updated=len(plan.changed_members),
        unchanged=plan.unchanged,
        households_created=len(plan.new_households),
    )


def use_key_indexes(cursor) -> None:
    """Make the rest of the transaction's look-ups by key use the tables' unique indexes.

    A look-up's thousands of keys come through a sub-select (below), so the planner takes them for a handful; on a
    town's first import, before any statistics, it chose sequential scans that compare every row with every key
    (0.3 s a batch at 5,000 households; an index look-up takes 4 ms)."""
    cursor.execute("SET LOCAL enable_seqscan TO off")


# Look-ups take their keys through a sub-select: given a literal array, the planner estimates each of its
# thousands of elements in turn, which cost more than the look-up itself. ID hashes are hex, so they travel as
# one space-separated string rather than as thousands of quoted literals.
def _members(cursor, rows: Sequence[SealedRow]) -> dict[str, ExistingMember]:
    cursor.execute(
        "SELECT id_hash, id, household_id, relation, name, phone_hash, insurance_type, hardship_categories,"
        " to_char(registered_on, 'YYYY-MM-DD') FROM enrolment_member"
        " WHERE id_hash = ANY((SELECT string_to_array(%s, ' '))::text[])",
        [" ".join(row.id_hash for row in rows)],
    )
    return {
        hash_: ExistingMember(
            pk,
            household,
            compared_text(relation, name, phone, insurance, "{" + ",".join(hardship) + "}", registered),
        )
        for hash_, pk, household, relation, name, phone, insurance, hardship, registered in cursor.fetchall()
    }


def _households(cursor, rows: Sequence[SealedRow]) -> dict[str, ExistingHousehold]:
    cursor.execute(
        "SELECT number, id, village_id, address FROM enrolment_household"
        " WHERE number = ANY((SELECT %s::text[])::text[])",
        [array_literal({row.household_number for row in rows})],
    )
    return {found[0]: ExistingHousehold(found[1], found[2], found[3]) for found in cursor.fetchall()}


def array_literal(values: Iterable[str]) -> str:
    """A text[] literal ('{"a","b"}') to pass as one parameter: psycopg2 renders a list as ARRAY['a', 'b'], one
    constant per element for the server to lex and analyse (a roster batch's 户号 cost more than the look-up)."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def take_ids(cursor, table: str, count: int) -> list[int]:
    """``count`` fresh ids from a table's id sequence (safe beside other writers: each is its own nextval)."""
    if not count:
        return []
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    # The sequence as a constant: looked up per row, nextval costs several times more.
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [cursor.fetchone()[0], count])
    return [found[0] for found in cursor.fetchall()]


def _first_heads(changed: list[tuple[int, SealedRow]], household_of: dict[str, int]) -> dict[int, int]:
    """Household id → the member to make its head: the oldest written member whose relation is 户主 (new members,
    with ids above every existing one, are added by the caller)."""
    heads: dict[int, int] = {}
    for pk, row in changed:
        if row.is_head:
            household = household_of[row.household_number]
            if pk < heads.get(household, pk + 1):
                heads[household] = pk
    return heads


def _copy(cursor, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    # UTF-8 bytes, read in one go: a StringIO holds Chinese text at four bytes a character and psycopg2 would copy
    # and encode it again, and each of its default 8 KB reads needs the GIL back. Django does not translate
    # copy_expert's errors; the wrapper makes a duplicate an IntegrityError like any other.
    data = "".join(lines).encode()
    with connection.wrap_database_errors:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.BytesIO(data), max(len(data), 8192)
        )


def _update_households(cursor, changed: dict[int, tuple[int, str]]) -> None:
    cursor.execute(
        "UPDATE enrolment_household h SET village_id = v.village_id, address = v.address"
        " FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[]) AS v(id, village_id, address) WHERE h.id = v.id",
        [list(changed), [v for v, _ in changed.values()], [a for _, a in changed.values()]],
    )


def _update_members(cursor, changed: list[tuple[int, SealedRow]], household_of: dict[str, int]) -> None:
    """Changed members get every compared field; their phone token only when the number itself changed."""
    values = []
    for pk, row in changed:
        relation, name, phone_hash, insurance_type, hardship, registered_on = row.compared.split("\t")
        phone_token, phone_masked = row.sealed.split("\t")[4:6]
        values.append(
            (
                pk, household_of[row.household_number], from_copy_text(name), relation, phone_token, phone_hash,
                phone_masked, insurance_type, hardship, registered_on,
            )
        )  # fmt: skip
    cursor.execute(
        "UPDATE enrolment_member m SET household_id = v.household_id, name = v.name, relation = v.relation,"
        " phone_encrypted = CASE WHEN v.phone_hash = m.phone_hash THEN m.phone_encrypted ELSE v.phone_token END,"
        " phone_masked = CASE WHEN v.phone_hash = m.phone_hash THEN m.phone_masked ELSE v.phone_masked END,"
        " phone_hash = v.phone_hash, insurance_type = v.insurance_type,"
        " hardship_categories = v.hardship::varchar(32)[], registered_on = v.registered_on, updated_at = now()"
        " FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], %s::text[], %s::varchar[],"
        " %s::varchar[], %s::varchar[], %s::text[], %s::date[])"
        " AS v(id, household_id, name, relation, phone_token, phone_hash, phone_masked, insurance_type, hardship,"
        " registered_on) WHERE m.id = v.id",
        [list(column) for column in zip(*values, strict=True)],
    )


def _update_heads(cursor, heads: dict[int, int]) -> None:
    """A household's head is its 户主 member; an existing head that is still 户主 of the household stays."""
    cursor.execute(
        "UPDATE enrolment_household h SET head_id = v.head FROM ("
        " SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS head) v"
        " WHERE h.id = v.id AND h.head_id IS DISTINCT FROM v.head AND NOT EXISTS ("
        "  SELECT 1 FROM enrolment_member m WHERE m.id = h.head_id AND m.household_id = h.id"
        "  AND m.relation = 'head')",
        [list(heads), list(heads.values())],
    )
