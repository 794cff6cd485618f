"""County, city and province dashboards read from the rollups only: a fixed number of queries whatever the number of
towns. The targets in force and the behind-target verdict are columns of the rollup (``targets.apply``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce

from mutualaid.platform.regions.models import County
from mutualaid.reporting import rules
from mutualaid.reporting.models import RollupKind, TownRollup

COUNTED = (
    "villages",
    "villages_joined",
    "eligible_people",
    "eligible_households",
    "enrolled_people",
    "enrolled_households",
    "eligible_households_in_joined",
    "enrolled_households_in_joined",
    "income_fen",
    "receivables_fen",
    "payables_fen",
    "subsidies_fen",
    "paid_out_fen",
    "balance_fen",
    "claims_decided",
    "claims_overdue",
    "objections",
)


@dataclass
class Totals:
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    towns: int = 0
    towns_behind: int = 0
    towns_at_risk: int = (
        0  # towns whose published table may run dry: probability above ``rules.RUN_DRY_WARNING_BP``
    )

    def add(self, line: TownLine) -> None:
        self.towns += 1
        self.towns_behind += 1 if line.behind else 0
        self.towns_at_risk += 1 if line.at_risk else 0
        for name in COUNTED:
            self.values[name] += getattr(line.rollup, name)

    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def village_share_bp(self):
        return rules.share_bp(self.values["villages_joined"], self.values["villages"])

    @property
    def household_share_bp(self):
        return rules.share_bp(
            self.values["enrolled_households_in_joined"], self.values["eligible_households_in_joined"]
        )

    @property
    def person_share_bp(self):
        return rules.share_bp(self.values["enrolled_people"], self.values["eligible_people"])


@dataclass
class TownLine:
    rollup: TownRollup

    @property
    def targets(self) -> rules.Targets:
        r = self.rollup
        return rules.Targets(r.target_village_bp, r.target_household_bp, r.target_person_bp, r.target_source)

    @property
    def town(self):
        return self.rollup.town

    @property
    def village_share_bp(self):
        return rules.share_bp(self.rollup.villages_joined, self.rollup.villages)

    @property
    def household_share_bp(self):
        return rules.share_bp(
            self.rollup.enrolled_households_in_joined, self.rollup.eligible_households_in_joined
        )

    @property
    def person_share_bp(self):
        return rules.share_bp(self.rollup.enrolled_people, self.rollup.eligible_people)

    @property
    def village_met(self):
        return rules.met(self.village_share_bp, self.rollup.target_village_bp)

    @property
    def household_met(self):
        return rules.met(self.household_share_bp, self.rollup.target_household_bp)

    @property
    def person_met(self):
        return rules.met(self.person_share_bp, self.rollup.target_person_bp)

    @property
    def behind(self) -> bool:
        return self.rollup.behind_target

    @property
    def at_risk(self) -> bool:
        """The published table may run dry before the year ends: probability above the warning line."""
        return rules.may_run_dry(self.rollup.run_dry_bp)

    @property
    def months_covered(self) -> Decimal | None:
        r = self.rollup
        return rules.months_covered(r.balance_fen, r.subsidies_fen, r.payout_months)


@dataclass
class Group:
    code: str
    name: str
    totals: Totals = field(default_factory=Totals)


@dataclass
class Dashboard:
    scheme_year: int
    towns: list[TownLine]
    totals: Totals
    counties: list[Group] = field(default_factory=list)
    cities: list[Group] = field(default_factory=list)


ORDER = ("-behind_target", "lowest_share_bp", "town_id")  # behind target first, the furthest behind first


def _rows(scheme_year: int, **where):
    return (
        TownRollup.objects.filter(scheme_year=scheme_year, kind=RollupKind.CURRENT, **where)
        .select_related("town", "county__city")
        .order_by(*ORDER)
    )


def county_dashboard(county: County, scheme_year: int) -> Dashboard:
    lines = [TownLine(row) for row in _rows(scheme_year, county=county)]
    totals = Totals()
    for line in lines:
        totals.add(line)
    return Dashboard(scheme_year, lines, totals)


def _sums() -> dict:
    return {
        **{name: Coalesce(Sum(name), Value(0)) for name in COUNTED},
        "n_towns": Count("id"),
        "n_behind": Count("id", filter=Q(behind_target=True)),
        "n_at_risk": Count("id", filter=Q(run_dry_bp__gt=rules.RUN_DRY_WARNING_BP)),
    }


def _totals(row: dict) -> Totals:
    return Totals(
        values={name: row[name] for name in COUNTED},
        towns=row["n_towns"],
        towns_behind=row["n_behind"],
        towns_at_risk=row["n_at_risk"],
    )


def _merge(groups: list[Totals]) -> Totals:
    merged = Totals()
    for found in groups:
        merged.towns += found.towns
        merged.towns_behind += found.towns_behind
        merged.towns_at_risk += found.towns_at_risk
        for name in COUNTED:
            merged.values[name] += found.values[name]
    return merged


def province_dashboard(
    province_code: str, scheme_year: int, *, city_code: str | None = None, town_limit: int | None = None
) -> Dashboard:
    """Province totals and per-county sums computed by the database over every town (no joins), the counties'
    names, and the town lines (behind target first, an index scan) only for the first ``town_limit``; cities are
    the sums of their counties. Four queries whatever the number of towns."""
    rows = TownRollup.objects.filter(
        scheme_year=scheme_year, kind=RollupKind.CURRENT, province_code=province_code
    )
    if city_code:
        rows = rows.filter(county__city__code=city_code)
    totals = _totals(rows.aggregate(**_sums()))
    grouped: Any = rows.values("county_id")
    by_county = {r["county_id"]: _totals(r) for r in grouped.annotate(**_sums())}
    counties_found = County.objects.filter(pk__in=by_county).select_related("city")
    counties = [Group(c.code, c.name, by_county[c.pk]) for c in counties_found]
    city_totals: dict[tuple[str, str], list[Totals]] = {}
    for county in counties_found:
        city_totals.setdefault((county.city.code, county.city.name), []).append(by_county[county.pk])
    cities = [Group(code, name, _merge(parts)) for (code, name), parts in city_totals.items()]

    def behind_first(group: Group):
        return (-group.totals.towns_behind, group.code)

    first = rows.select_related("town", "county__city").order_by(
        "-behind_target", "lowest_share_bp", "town_id"
    )
    lines = [TownLine(row) for row in (first if town_limit is None else first[:town_limit])]
    return Dashboard(
        scheme_year, lines, totals, sorted(counties, key=behind_first), sorted(cities, key=behind_first)
    )


def town_trend(town_id: int, scheme_year: int) -> list[TownRollup]:
    """The month-end snapshots, oldest first, then the current row (one query)."""
    rows = list(TownRollup.objects.filter(town_id=town_id, scheme_year=scheme_year).order_by("as_of"))
    monthly = [r for r in rows if r.kind == RollupKind.MONTHLY]
    return monthly + [r for r in rows if r.kind == RollupKind.CURRENT]


def town_line(town, scheme_year: int) -> TownLine | None:
    row = _rows(scheme_year, town=town).first()
    return None if row is None else TownLine(row)


def timeliness(town_ids: list[int], scheme_year: int) -> list[TownRollup]:
    return list(_rows(scheme_year, town_id__in=town_ids).order_by("town__code"))
