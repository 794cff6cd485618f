"""The targets in force on rollup rows: resolved once when a row is written or a target changes, so dashboards
read plain columns (the behind-target verdict included) whatever the number of towns."""

from __future__ import annotations

from django.db.models import Q

from mutualaid.reporting import rules
from mutualaid.reporting.models import Target, TargetLevel, TownRollup


def shares(row: TownRollup) -> tuple[int | None, int | None, int | None]:
    return (
        rules.share_bp(row.villages_joined, row.villages),
        rules.share_bp(row.enrolled_households_in_joined, row.eligible_households_in_joined),
        rules.share_bp(row.enrolled_people, row.eligible_people),
    )


def judge(row: TownRollup, town_target: Target | None, county_target: Target | None) -> None:
    """Set the row's targets in force, behind-target verdict and lowest share (not saved)."""
    policy = {
        "village": row.policy_village_target_bp,
        "household": row.policy_household_target_bp,
        "person": row.policy_person_target_bp,
    }
    found = rules.targets_in_force(town_target, county_target, policy)
    row.target_village_bp, row.target_household_bp, row.target_person_bp = (
        found.village_bp,
        found.household_bp,
        found.person_bp,
    )
    row.target_source = found.source
    values = shares(row)
    verdicts = [
        rules.met(s, t)
        for s, t in zip(values, (found.village_bp, found.household_bp, found.person_bp), strict=True)
    ]
    row.behind_target = any(v is False for v in verdicts)
    row.lowest_share_bp = min((s for s in values if s is not None), default=0)


FIELDS = [
    "target_village_bp",
    "target_household_bp",
    "target_person_bp",
    "target_source",
    "behind_target",
    "lowest_share_bp",
]


def apply(rows) -> int:
    """Judge ``rows`` (a TownRollup queryset) against the targets in force: two queries and one bulk update."""
    rows = list(rows)
    if not rows:
        return 0
    years = {r.scheme_year for r in rows}
    targets = list(
        Target.objects.filter(scheme_year__in=years).filter(
            Q(level=TargetLevel.COUNTY, town_id__in={r.town_id for r in rows})
            | Q(level=TargetLevel.PROVINCE, county_id__in={r.county_id for r in rows})
        )
    )
    by_town = {(t.town_id, t.scheme_year): t for t in targets if t.level == TargetLevel.COUNTY}
    by_county = {(t.county_id, t.scheme_year): t for t in targets if t.level == TargetLevel.PROVINCE}
    for row in rows:
        judge(
            row, by_town.get((row.town_id, row.scheme_year)), by_county.get((row.county_id, row.scheme_year))
        )
    TownRollup.objects.bulk_update(rows, FIELDS, batch_size=1000)
    return len(rows)
