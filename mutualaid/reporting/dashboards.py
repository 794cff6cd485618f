"""County, city and province dashboards read from the rollups only: a fixed number of queries whatever the number of
towns (the rows with their towns and counties, the targets, the counties' cities)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Least, NullIf

from mutualaid.platform.regions.models import County
from mutualaid.reporting import rules
from mutualaid.reporting.models import RollupKind, Target, TargetLevel, TownRollup

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

    def add(self, line: TownLine) -> None:
        self.towns += 1
        self.towns_behind += 1 if line.behind else 0
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
    targets: rules.Targets

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
        return rules.met(self.village_share_bp, self.targets.village_bp)

    @property
    def household_met(self):
        return rules.met(self.household_share_bp, self.targets.household_bp)

    @property
    def person_met(self):
        return rules.met(self.person_share_bp, self.targets.person_bp)

    @property
    def behind(self) -> bool:
        return any(m is False for m in (self.village_met, self.household_met, self.person_met))

    @property
    def months_covered(self) -> Decimal | None:
        r = self.rollup
        return rules.months_covered(r.balance_fen, r.subsidies_fen, r.payout_months)

    def sort_key(self):
        shares = [s for s in (self.village_share_bp, self.household_share_bp, self.person_share_bp)]
        return (not self.behind, min((s for s in shares if s is not None), default=0), self.rollup.town.code)


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


def _lines(rows: list[TownRollup], scheme_year: int, county_ids: set[int]) -> list[TownLine]:
    targets = list(
        Target.objects.filter(scheme_year=scheme_year).filter(
            Q(level=TargetLevel.COUNTY, town_id__in=[r.town_id for r in rows])
            | Q(level=TargetLevel.PROVINCE, county_id__in=county_ids)
        )
    )
    by_town = {t.town_id: t for t in targets if t.level == TargetLevel.COUNTY}
    by_county = {t.county_id: t for t in targets if t.level == TargetLevel.PROVINCE}
    lines = []
    for row in rows:
        policy = {
            "village": row.policy_village_target_bp,
            "household": row.policy_household_target_bp,
            "person": row.policy_person_target_bp,
        }
        lines.append(
            TownLine(
                row, rules.targets_in_force(by_town.get(row.town_id), by_county.get(row.county_id), policy)
            )
        )
    return sorted(lines, key=TownLine.sort_key)


def _rows(scheme_year: int, **where) -> list[TownRollup]:
    return list(
        TownRollup.objects.filter(scheme_year=scheme_year, kind=RollupKind.CURRENT, **where)
        .select_related("town", "county__city")
        .order_by("town__code")
    )


def county_dashboard(county: County, scheme_year: int) -> Dashboard:
    rows = _rows(scheme_year, county=county)
    lines = _lines(rows, scheme_year, {county.pk})
    totals = Totals()
    for line in lines:
        totals.add(line)
    return Dashboard(scheme_year, lines, totals)


def _share(part: str, whole: str):
    return F(part) * 10000 / NullIf(F(whole), 0)


def _target(field: str, policy_field: str):
    """The target in force for the row's town, in SQL (as ``rules.targets_in_force``)."""
    town = Target.objects.filter(
        level=TargetLevel.COUNTY, town_id=OuterRef("town_id"), scheme_year=OuterRef("scheme_year")
    )
    county = Target.objects.filter(
        level=TargetLevel.PROVINCE, county_id=OuterRef("county_id"), scheme_year=OuterRef("scheme_year")
    )
    policy_set = (
        Q(policy_village_target_bp__isnull=False)
        | Q(policy_household_target_bp__isnull=False)
        | Q(policy_person_target_bp__isnull=False)
    )
    return Case(
        When(Exists(town), then=Subquery(town.values(field)[:1])),
        When(Exists(county), then=Subquery(county.values(field)[:1])),
        When(policy_set, then=F(policy_field)),
        default=Value(rules.DEFAULT_TARGETS_BP[field.split("_")[0]]),
    )


def _behind(share: str, target: str) -> Q:
    return Q(**{f"{target}__isnull": False}) & (
        Q(**{f"{share}__isnull": True}) | Q(**{f"{share}__lt": F(target)})
    )


def judged(queryset):
    """Rollup rows with their shares, targets in force and ``behind`` computed by the database."""
    return queryset.annotate(
        s_village=_share("villages_joined", "villages"),
        s_household=_share("enrolled_households_in_joined", "eligible_households_in_joined"),
        s_person=_share("enrolled_people", "eligible_people"),
        t_village=_target("village_share_bp", "policy_village_target_bp"),
        t_household=_target("household_share_bp", "policy_household_target_bp"),
        t_person=_target("person_share_bp", "policy_person_target_bp"),
    ).annotate(
        behind=Case(
            When(
                _behind("s_village", "t_village")
                | _behind("s_household", "t_household")
                | _behind("s_person", "t_person"),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        lowest=Coalesce(Least("s_village", "s_household", "s_person"), Value(0)),
    )


def _sums() -> dict:
    return {name: Coalesce(Sum(name), Value(0)) for name in COUNTED}


def _totals(row: dict) -> Totals:
    return Totals(
        values={name: row[name] for name in COUNTED}, towns=row["n_towns"], towns_behind=row["n_behind"]
    )


def province_dashboard(
    province_code: str, scheme_year: int, *, city_code: str | None = None, town_limit: int | None = None
) -> Dashboard:
    """Totals, per city and per county computed by the database over every town; the town lines (behind target
    first) only for the first ``town_limit``. Five queries whatever the number of towns."""
    rows = TownRollup.objects.filter(
        scheme_year=scheme_year, kind=RollupKind.CURRENT, province_code=province_code
    )
    if city_code:
        rows = rows.filter(county__city__code=city_code)
    rows = judged(rows)
    counts = {"n_towns": Count("id"), "n_behind": Count("id", filter=Q(behind=True))}
    totals = _totals(rows.aggregate(**_sums(), **counts))
    counties = [
        Group(r["county__code"], r["county__name"], _totals(r))
        for r in rows.values("county__code", "county__name")
        .annotate(**_sums(), **counts)
        .order_by("-n_behind", "county__code")
    ]
    cities = [
        Group(r["county__city__code"], r["county__city__name"], _totals(r))
        for r in rows.values("county__city__code", "county__city__name")
        .annotate(**_sums(), **counts)
        .order_by("-n_behind", "county__city__code")
    ]
    first = rows.select_related("town", "county__city").order_by(F("behind").desc(), "lowest", "town__code")
    limited = list(first if town_limit is None else first[:town_limit])
    lines = _lines(limited, scheme_year, {r.county_id for r in limited})
    return Dashboard(scheme_year, lines, totals, counties, cities)


def town_trend(town_id: int, scheme_year: int) -> list[TownRollup]:
    """The month-end snapshots, oldest first, then the current row (one query)."""
    rows = list(TownRollup.objects.filter(town_id=town_id, scheme_year=scheme_year).order_by("as_of"))
    monthly = [r for r in rows if r.kind == RollupKind.MONTHLY]
    return monthly + [r for r in rows if r.kind == RollupKind.CURRENT]


def town_line(town, scheme_year: int) -> TownLine | None:
    rows = _rows(scheme_year, town=town)
    return _lines(rows, scheme_year, {town.county_id})[0] if rows else None


def timeliness(town_ids: list[int], scheme_year: int) -> list[TownRollup]:
    return _rows(scheme_year, town_id__in=town_ids)
