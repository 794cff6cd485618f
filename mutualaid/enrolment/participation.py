"""Participation of a town in a scheme year (参与率), against the policy's targets, with a fixed number of aggregate
queries whatever the number of villages (these figures feed the county and provincial rollups).

- eligible people: members on the register at the snapshot date (active, registered on or before it), without a
  hardship category the policy excludes; eligible households: households with at least one eligible member;
- enrolled people and households: enrolments of the scheme year paid in full (what was received, reversals
  excluded, covers what is due); a policy that counts unpaid enrolments says so explicitly
  (``EnrolmentTerms.participation_counts_unpaid``);
- villages that joined (村民代表会议决议参加) out of all villages (海安: ≥ 50% of administrative villages);
- household participation in the villages that joined (海安: ≥ 30%);
- person participation in the town (新胜镇: ≥ 50%).

Served from maintained figures (issue 22 item 16: ≤ 50 ms p50 at 40,000 members). Measured on a generated town of
40,005 members (bench/participation.py) the two aggregate queries cost ~40 ms of the ~60 ms API read, and no index
helps them: they read every member and every enrolment of the year. So the villages' figures are kept, per scheme
year and per the terms that shape the counts (snapshot date, excluded hardship categories, whether unpaid
enrolments count), in ``enrolment_participation_figures`` with the PostgreSQL snapshot they were computed under;
targets are applied on each call, so a target change is never stale. Statement triggers on every table the counts
read (migration 0007) record each writing transaction's id in ``enrolment_participation_change``; a stored row is
valid while every change row the reader sees was visible in its snapshot. Hence:

- a committed change (an action, the roster import's COPY, the admin, raw SQL) invalidates the figures at once —
  no code path can forget to; a rolled-back transaction leaves no change row, so it invalidates nothing;
- no shared counter row: writers never wait for each other or deadlock on the bookkeeping (a data-version row
  would serialise every write of a town behind a roster import);
- a transaction that itself wrote those tables counts afresh and stores nothing (its own changes are not in any
  snapshot); the figures live in the town's schema, so they are as isolated as the data they count.

Per-village counters maintained by the actions were the alternative: eligibility depends on the policy's snapshot
date and excluded categories, so counters would have to be kept per set of terms and every member edit, move and
COPY would need its exact delta; a recount on the first read after a change costs the same ~60 ms once.

A read is one query when the figures are valid; a recount is that query, the three aggregate queries and the
store (a transaction that wrote skips the store). The change table keeps one 8-byte id per writing transaction; the
check reads it by index from the stored snapshot's xmin only. ``prune_changes`` (a daily beat task) deletes the
change rows and the stored figures below a recorded horizon (migration 0009), and a store whose snapshot began
below the horizon is refused, so a late store can never outlive the rows that would invalidate it.
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from mutualaid.enrolment.models import (
    Contribution,
    Enrolment,
    Household,
    Member,
    MemberStatus,
    Village,
)
from mutualaid.enrolment.rules import share_of
from mutualaid.policies.terms import EnrolmentTerms, SpecialGroupTreatment


@dataclass(frozen=True)
class Measure:
    numerator: int
    denominator: int
    target_bp: int | None

    @property
    def share_bp(self) -> int | None:
        return share_of(self.numerator, self.denominator)

    @property
    def met(self) -> bool | None:
        if self.target_bp is None:
            return None
        return self.share_bp is not None and self.share_bp >= self.target_bp


@dataclass(frozen=True)
class VillageParticipation:
    village_id: int
    code: str
    name: str
    joined: bool
    eligible_people: int
    eligible_households: int
    enrolled_people: int
    enrolled_households: int


@dataclass(frozen=True)
class Participation:
    scheme_year: int
    villages: int
    villages_joined: int
    eligible_people: int
    eligible_households: int
    enrolled_people: int
    enrolled_households: int
    eligible_households_in_joined: int
    enrolled_households_in_joined: int
    village_share: Measure
    household_share_in_joined: Measure
    person_share: Measure
    by_village: list[VillageParticipation] = field(default_factory=list)


def eligible_members(terms: EnrolmentTerms):
    excluded = [r.category for r in terms.special_groups if r.treatment == SpecialGroupTreatment.EXCLUDED]
    queryset = Member.objects.filter(
        status=MemberStatus.ACTIVE, registered_on__lte=terms.register_snapshot_date
    )
    if excluded:
        queryset = queryset.exclude(hardship_categories__overlap=excluded)
    return queryset


def counted_enrolments(terms: EnrolmentTerms):
    """The scheme year's enrolments that count as participating: those paid in full, unless the policy counts
    unpaid ones too. (A sub-query: no query of its own.)"""
    enrolments = Enrolment.objects.filter(scheme_year=terms.scheme_year)
    if terms.participation_counts_unpaid:
        return enrolments
    received = (
        Contribution.objects.filter(enrolment=OuterRef("pk"), reversal__isnull=True)
        .values("enrolment")
        .annotate(total=Sum("amount_fen"))
        .values("total")
    )
    return enrolments.annotate(received_fen=Coalesce(Subquery(received), Value(0))).filter(
        received_fen__gte=F("due_fen")
    )


def _eligible_by_village(terms: EnrolmentTerms) -> dict[int, dict[str, int]]:
    """{village id: {people, households}} of eligible members: members counted per household first (a hash
    aggregate), then households per village — about half the time of COUNT(DISTINCT household) over the members,
    which sorts them all."""
    per_household, params = (
        eligible_members(terms)
        .values("household_id")
        .annotate(n=Count("id"))
        .order_by()
        .query.sql_with_params()
    )
    sql = (
        f"SELECT h.village_id, SUM(x.n), COUNT(*) FROM ({per_household}) x "
        f"JOIN {Household._meta.db_table} h ON h.id = x.household_id GROUP BY h.village_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {village: {"people": int(people), "households": n} for village, people, n in cursor.fetchall()}


def figures_key(terms: EnrolmentTerms) -> str:
    """What the villages' counts depend on besides the data: the scheme year, the register's snapshot date, the
    excluded hardship categories and whether unpaid enrolments count (targets are applied on each read)."""
    excluded = sorted(
        str(r.category) for r in terms.special_groups if r.treatment == SpecialGroupTreatment.EXCLUDED
    )
    counts = "unpaid" if terms.participation_counts_unpaid else "paid"
    return f"{terms.scheme_year}|{terms.register_snapshot_date.isoformat()}|{','.join(excluded)}|{counts}"


# The statement's snapshot; whether this transaction wrote what participation reads; the stored figures if every
# change the reader sees was visible when they were computed (changes below the snapshot's xmin all were).
_STORED = """
SELECT pg_current_snapshot()::text,
       EXISTS (SELECT 1 FROM enrolment_participation_change WHERE xid = pg_current_xact_id_if_assigned()),
       (SELECT f.villages FROM enrolment_participation_figures f
         WHERE f.terms_key = %s
           AND NOT EXISTS (SELECT 1 FROM enrolment_participation_change c
                            WHERE c.xid >= pg_snapshot_xmin(f.snapshot)
                              AND NOT pg_visible_in_snapshot(c.xid, f.snapshot)))
"""
# Outside a transaction the store replaces an invalid row (the upsert commits at once). Inside one it only adds a
# missing row: replacing would hold that row's lock until the caller commits and make other readers wait.
# A snapshot that began below the pruning horizon is not stored: the change rows that could invalidate it may be
# gone. The horizon is read FOR SHARE, so a prune in progress is waited for and its new horizon compared.
_STORE = """
INSERT INTO enrolment_participation_figures (terms_key, snapshot, villages, computed_at)
SELECT %(key)s, %(snapshot)s::pg_snapshot, %(villages)s::jsonb, now()
  FROM (SELECT horizon FROM enrolment_participation_horizon WHERE id = 1 FOR SHARE) h
 WHERE pg_snapshot_xmin(%(snapshot)s::pg_snapshot) >= h.horizon
ON CONFLICT (terms_key) DO {}
"""
_REPLACE = "UPDATE SET snapshot = EXCLUDED.snapshot, villages = EXCLUDED.villages, computed_at = now()"


def count_village_figures(terms: EnrolmentTerms) -> list[VillageParticipation]:
    """The three aggregate queries, independent of the number of villages: eligible members by village (one pass
    over the register), counted enrolments by village (households, and people from each enrolment's member count)
    and the villages."""
    eligible_rows = _eligible_by_village(terms)
    enrolled_rows = {
        r["household__village_id"]: r
        for r in counted_enrolments(terms)
        .values("household__village_id")
        .annotate(households=Count("id"), people=Sum("member_count"))
        .order_by()
    }
    rows: list[VillageParticipation] = []
    for village in Village.objects.order_by("code").only("id", "code", "name", "joined"):
        eligible = eligible_rows.get(village.pk, {})
        enrolled = enrolled_rows.get(village.pk, {})
        rows.append(
            VillageParticipation(
                village.pk,
                village.code,
                village.name,
                village.joined,
                eligible.get("people", 0),
                eligible.get("households", 0),
                enrolled.get("people") or 0,
                enrolled.get("households", 0),
            )
        )
    return rows


def village_figures(terms: EnrolmentTerms) -> list[VillageParticipation]:
    """The villages' figures: the stored ones while no change was committed since they were computed (one query),
    else counted afresh and stored (see the module's docstring)."""
    key = figures_key(terms)
    with connection.cursor() as cursor:
        cursor.execute(_STORED, [key])
        snapshot, wrote, stored = cursor.fetchone()
    if stored is not None and not wrote:
        if isinstance(stored, str):  # Django leaves jsonb undecoded on its connections
            stored = json.loads(stored)
        return [VillageParticipation(*row) for row in stored]
    rows = count_village_figures(terms)
    if not wrote:
        store_figures(key, snapshot, rows)
    return rows


def store_figures(key: str, snapshot: str, rows: list[VillageParticipation]) -> bool:
    """Store ``rows`` as counted under ``snapshot``; False when refused (the snapshot began below the horizon)."""
    store = _STORE.format("NOTHING" if connection.in_atomic_block else _REPLACE)
    villages = json.dumps([astuple(r) for r in rows], ensure_ascii=False)
    with connection.cursor() as cursor:
        cursor.execute(store, {"key": key, "snapshot": snapshot, "villages": villages})
        return cursor.rowcount == 1


# Raise the horizon to the oldest transaction still running anywhere, then drop what lies below it.
_PRUNE = """
WITH raised AS (
    UPDATE enrolment_participation_horizon
       SET horizon = greatest(horizon, pg_snapshot_xmin(pg_current_snapshot()))
     WHERE id = 1
 RETURNING horizon
)
SELECT horizon::text FROM raised
"""


def prune_changes() -> dict[str, int]:
    """Delete the change rows and stored figures below a new horizon (in the current town schema, one
    transaction): the horizon and how many of each were deleted. Figures stored under an older snapshot are
    recounted on their next read."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PRUNE)
        (horizon,) = cursor.fetchone()
        cursor.execute(
            "DELETE FROM enrolment_participation_figures WHERE pg_snapshot_xmin(snapshot) < %s::xid8",
            [horizon],
        )
        figures = cursor.rowcount
        cursor.execute("DELETE FROM enrolment_participation_change WHERE xid < %s::xid8", [horizon])
        return {"horizon": int(horizon), "changes": cursor.rowcount, "figures": figures}


def participation(terms: EnrolmentTerms, *, by_village: bool = False) -> Participation:
    """The town's participation in ``terms.scheme_year`` against the terms' targets, from the villages' figures
    (one query when they are valid; ``village_figures``). The town's figures are the villages' sums (a household
    lies in one village)."""
    year = terms.scheme_year
    rows = village_figures(terms)
    villages, villages_joined = len(rows), sum(1 for r in rows if r.joined)
    eligible_people = sum(r.eligible_people for r in rows)
    eligible_households = sum(r.eligible_households for r in rows)
    enrolled_people = sum(r.enrolled_people for r in rows)
    enrolled_households = sum(r.enrolled_households for r in rows)
    eligible_households_in_joined = sum(r.eligible_households for r in rows if r.joined)
    enrolled_households_in_joined = sum(r.enrolled_households for r in rows if r.joined)
    return Participation(
        scheme_year=year,
        villages=villages,
        villages_joined=villages_joined,
        eligible_people=eligible_people,
        eligible_households=eligible_households,
        enrolled_people=enrolled_people,
        enrolled_households=enrolled_households,
        eligible_households_in_joined=eligible_households_in_joined,
        enrolled_households_in_joined=enrolled_households_in_joined,
        village_share=Measure(villages_joined, villages, terms.target_village_share_bp),
        household_share_in_joined=Measure(
            enrolled_households_in_joined, eligible_households_in_joined, terms.target_household_share_bp
        ),
        person_share=Measure(enrolled_people, eligible_people, terms.target_person_share_bp),
        by_village=rows if by_village else [],
    )
