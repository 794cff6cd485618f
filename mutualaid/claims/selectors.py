"""Reads of the claims app: the adjudication inputs built from the database (plain frozen values), working days
and overdue counts, and catalogue checks."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from mutualaid.claims import adjudication
from mutualaid.claims.models import CLAIMED_STATES, OPEN_STATES, Claim, MemberYearTotal
from mutualaid.drg.catalogue import UnknownCatalogueVersion
from mutualaid.drg.grouper import group_stay
from mutualaid.drg.models import CatalogueVersion, Drg, IcdCode
from mutualaid.enrolment.models import EnrolledMember
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.selectors import policy_for_admission
from mutualaid.policies.values import PolicyStatus

logger = logging.getLogger(__name__)
_EXTENSION = re.compile(r"X(?=[0-9]{3}$)")
_clock: ContextVar[datetime | None] = ContextVar("claims_clock", default=None)


def now() -> datetime:
    """The current time of claims (``clock_at`` sets it: the demo files 2022's claims in 2023, tests too)."""
    return _clock.get() or timezone.now()


def today() -> date:
    return timezone.localdate(now())


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


# Published policy versions never change: their terms are kept per (schema, policy id) for the process.
_terms_cache: dict[tuple, adjudication.PolicyTerms] = {}


def policy_terms(policy: PolicyVersion | None) -> adjudication.PolicyTerms | None:
    if policy is None or policy.coverage_start is None or policy.coverage_end is None:
        return None
    if not policy.is_published:
        return _terms(policy)
    key = (connection.schema_name, policy.pk, policy.published_at)  # type: ignore[attr-defined]
    if key not in _terms_cache:
        _terms_cache[key] = _terms(policy)
    return _terms_cache[key]


def _terms(policy: PolicyVersion) -> adjudication.PolicyTerms:
    assert policy.coverage_start is not None and policy.coverage_end is not None
    return adjudication.PolicyTerms(
        policy_id=policy.pk,
        version=policy.version,
        scheme_year=policy.scheme_year.year,
        coverage_start=policy.coverage_start,
        coverage_end=policy.coverage_end,
        claim_deadline=policy.claim_deadline,
        thresholds=tuple((t.insurance_type, t.basis, t.amount_fen) for t in policy.threshold_values()),
        per_stay_min_fen=policy.per_stay_min_fen or 0,
        per_stay_max_fen=policy.per_stay_max_fen,
        yearly_cap_fen=policy.yearly_cap_fen,
        excluded_causes=frozenset(policy.excluded_causes),
        designated_hospitals_only=policy.designated_hospitals_only,
        mainland_only=policy.mainland_only,
        unlisted_drg_rule=policy.unlisted_drg_rule,
        subsidy_table=tuple(
            (code, amount)
            for code, amount in policy.subsidy_entries.order_by("drg_code").values_list(
                "drg_code", "amount_fen"
            )
        ),
    )


def is_enrolled(member_id: int, scheme_year: int) -> bool:
    return EnrolledMember.objects.filter(member_id=member_id, scheme_year=scheme_year).exists()


def approved_so_far(member_id: int, scheme_year: int) -> int:
    return (
        MemberYearTotal.objects.filter(member_id=member_id, scheme_year=scheme_year)
        .values_list("approved_fen", flat=True)
        .first()
        or 0
    )


def history(claim: Claim, approved_fen: int | None = None) -> adjudication.History:
    # Claims filed before this one (lower ids): of two claims for one stay, the first is judged, the second is
    # the duplicate.
    stays = (
        Claim.objects.filter(member_id=claim.member_id, state__in=CLAIMED_STATES, pk__lt=claim.pk)
        .order_by("admission_date", "id")
        .values_list("admission_date", "discharge_date")
    )
    return adjudication.History(
        approved_fen=approved_so_far(claim.member_id, claim.scheme_year)
        if approved_fen is None
        else approved_fen,
        claimed_stays=tuple(stays),
    )


def stay(claim: Claim, drg_code: str | None = None) -> adjudication.Stay:
    return adjudication.Stay(
        admission_date=claim.admission_date,
        discharge_date=claim.discharge_date,
        inpatient=claim.inpatient,
        hospital_designated=claim.hospital_designated,
        hospital_mainland=claim.hospital_mainland,
        cause=claim.cause,
        insurance_type=claim.insurance_type,
        total_cost_fen=claim.total_cost_fen,
        insurance_paid_fen=claim.insurance_paid_fen,
        out_of_pocket_fen=claim.out_of_pocket_fen,
        drg_code=claim.drg_code if drg_code is None else drg_code,
        filed_on=claim.filed_on or today(),
    )


def inputs(
    claim: Claim, *, drg_code: str | None = None, approved_fen: int | None = None
) -> tuple[adjudication.PolicyTerms | None, bool, adjudication.Stay, adjudication.History]:
    """The four inputs of ``adjudication.adjudicate`` for ``claim`` as it stands."""
    terms = policy_terms(policy_for_admission(claim.admission_date))
    enrolled = terms is not None and is_enrolled(claim.member_id, terms.scheme_year)
    return terms, enrolled, stay(claim, drg_code), history(claim, approved_fen)


def preview(claim: Claim, drg_code: str | None = None) -> adjudication.Decision:
    return adjudication.adjudicate(*inputs(claim, drg_code=drg_code))


class BatchInputs:
    """The adjudication inputs of many claims read with a handful of queries (for ``actions.approve_many``):
    the published policies by admission date, enrolment, and the members' claimed stays."""

    def __init__(self, claims: list[Claim]):
        published = list(
            PolicyVersion.objects.select_related("scheme_year").filter(status=PolicyStatus.PUBLISHED)
        )
        self._policies: dict[date, adjudication.PolicyTerms | None] = {}
        for day in {c.admission_date for c in claims}:
            by_year: dict[int, list[PolicyVersion]] = {}
            for v in published:
                if v.coverage_start and v.coverage_end and v.coverage_start <= day <= v.coverage_end:
                    by_year.setdefault(v.scheme_year.year, []).append(v)
            found = None
            for year in sorted(by_year, reverse=True):  # overlapping years: the later one wins
                effective = [v for v in by_year[year] if v.effective_from is None or v.effective_from <= day]
                found = max(effective, key=lambda v: v.version, default=None) or min(
                    by_year[year], key=lambda v: v.version
                )
                break
            self._policies[day] = policy_terms(found)
        members = {c.member_id for c in claims}
        self._enrolled = set(
            EnrolledMember.objects.filter(member_id__in=members).values_list("member_id", "scheme_year")
        )
        self._stays: dict[int, list[tuple[int, date, date]]] = {}
        for pk, member_id, admitted, discharged in (
            Claim.objects.filter(member_id__in=members, state__in=CLAIMED_STATES)
            .order_by("pk")
            .values_list("pk", "member_id", "admission_date", "discharge_date")
        ):
            self._stays.setdefault(member_id, []).append((pk, admitted, discharged))

    def inputs(self, claim: Claim, approved_fen: int):
        terms = self._policies[claim.admission_date]
        enrolled = terms is not None and (claim.member_id, terms.scheme_year) in self._enrolled
        earlier = tuple((a, d) for pk, a, d in self._stays.get(claim.member_id, ()) if pk < claim.pk)
        return (
            terms,
            enrolled,
            stay(claim),
            adjudication.History(approved_fen=approved_fen, claimed_stays=earlier),
        )

    def claimed(self, claim: Claim) -> None:
        """``claim`` is approved: a later claim of the member overlapping it is a duplicate (it already counts
        while in review; kept for clarity when the caller's order differs)."""
        stays = self._stays.setdefault(claim.member_id, [])
        if all(pk != claim.pk for pk, _, _ in stays):
            stays.append((claim.pk, claim.admission_date, claim.discharge_date))


def batch_inputs(claims: list[Claim]) -> BatchInputs:
    return BatchInputs(claims)


# --- working days ----------------------------------------------------------------------------------------------------


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` by the Chinese holiday calendar (weekdays where the calendar
    has no data for the year)."""
    import chinese_calendar

    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(current)
        except NotImplementedError:
            working = current.weekday() < 5
        if working:
            counted += 1
    return current


def is_overdue(claim: Claim, on: date | None = None) -> bool:
    return claim.state in OPEN_STATES and claim.due_date is not None and claim.due_date < (on or today())


def overdue_count(queryset=None, on: date | None = None) -> int:
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.filter(state__in=OPEN_STATES, due_date__lt=on or today()).count()


# --- catalogues --------------------------------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """Upper case, except the ``x`` of 医保版 extension codes (``A00.000x001``), as the catalogue writes them."""
    return _EXTENSION.sub("x", str(code).strip().upper())


def unknown_icd_codes(kind: str, codes: Iterable[str]) -> list[str] | None:
    """The codes that are not in the ICD list of ``kind`` (diagnosis / procedure); None when no list of that kind
    has been imported."""
    codes = list(codes)
    if not IcdCode.objects.filter(kind=kind).exists():
        return None
    known = set(IcdCode.objects.filter(kind=kind, code__in=codes).values_list("code", flat=True))
    return [c for c in codes if c not in known]


def drg_known(version_code: str, code: str) -> bool | None:
    """Whether ``code`` is a DRG of catalogue ``version_code``; None when that version is not imported."""
    if not CatalogueVersion.objects.filter(code=version_code).exists():
        return None
    return Drg.objects.filter(version__code=version_code, code=code).exists()


def suggest_drg(claim: Claim, version_code: str) -> str | None:
    """The grouper's DRG for the claim's codes (None when it refuses, or the catalogue is not imported): a
    suggestion the reviewer confirms or overrides with a reason."""
    if not claim.diagnosis_codes:
        return None
    member = claim.member
    age = claim.admission_date.year - member.birth_date.year
    if (claim.admission_date.month, claim.admission_date.day) < (
        member.birth_date.month,
        member.birth_date.day,
    ):
        age -= 1
    try:
        result = group_stay(
            version_code,
            sex=1 if member.sex == "M" else 2,
            age=age,
            age_days=(claim.admission_date - member.birth_date).days if age < 1 else None,
            diagnoses=list(claim.diagnosis_codes),
            procedures=list(claim.procedure_codes),
            los=(claim.discharge_date - claim.admission_date).days,
        )
    except UnknownCatalogueVersion:
        return None
    except Exception:  # the grouper is advisory: a failure leaves the DRG to the reviewer
        logger.exception("DRG grouper failed for claim %s", claim.pk)
        return None
    return result.drg if result.ok else None
