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
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from mutualaid.enrolment.models import (
    Contribution,
    EnrolledMember,
    Enrolment,
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


def participation(terms: EnrolmentTerms, *, by_village: bool = False) -> Participation:
    """Four aggregate queries (eight with ``by_village``), independent of the number of villages."""
    year = terms.scheme_year
    counted = counted_enrolments(terms)
    counted_members = EnrolledMember.objects.filter(scheme_year=year, enrolment_id__in=counted.values("pk"))
    joined = Q(household__village__joined=True)
    villages = Village.objects.aggregate(total=Count("id"), joined=Count("id", filter=Q(joined=True)))
    eligible = eligible_members(terms).aggregate(
        people=Count("id"),
        households=Count("household_id", distinct=True),
        households_joined=Count("household_id", distinct=True, filter=joined),
    )
    people = counted_members.aggregate(people=Count("id"))
    households = counted.aggregate(households=Count("id"), households_joined=Count("id", filter=joined))
    rows: list[VillageParticipation] = []
    if by_village:
        eligible_rows = {
            r["household__village_id"]: r
            for r in eligible_members(terms)
            .values("household__village_id")
            .annotate(people=Count("id"), households=Count("household_id", distinct=True))
        }
        enrolled_people = dict(
            counted_members.values("enrolment__household__village_id")
            .annotate(n=Count("id"))
            .values_list("enrolment__household__village_id", "n")
        )
        enrolled_households = dict(
            counted.values("household__village_id")
            .annotate(n=Count("id"))
            .values_list("household__village_id", "n")
        )
        for village in Village.objects.order_by("code").only("id", "code", "name", "joined"):
            found = eligible_rows.get(village.pk, {})
            rows.append(
                VillageParticipation(
                    village.pk,
                    village.code,
                    village.name,
                    village.joined,
                    found.get("people", 0),
                    found.get("households", 0),
                    enrolled_people.get(village.pk, 0),
                    enrolled_households.get(village.pk, 0),
                )
            )
    return Participation(
        scheme_year=year,
        villages=villages["total"],
        villages_joined=villages["joined"],
        eligible_people=eligible["people"],
        eligible_households=eligible["households"],
        enrolled_people=people["people"],
        enrolled_households=households["households"],
        eligible_households_in_joined=eligible["households_joined"],
        enrolled_households_in_joined=households["households_joined"],
        village_share=Measure(villages["joined"], villages["total"], terms.target_village_share_bp),
        household_share_in_joined=Measure(
            households["households_joined"], eligible["households_joined"], terms.target_household_share_bp
        ),
        person_share=Measure(people["people"], eligible["people"], terms.target_person_share_bp),
        by_village=rows,
    )
