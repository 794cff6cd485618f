"""Reads of the policy that other apps call (run inside a town's schema).

- ``enrolment_terms(scheme_year, on=None) -> EnrolmentTerms``: the published policy of that scheme year in force
  (on ``on``, default today in Asia/Shanghai); ValidationError(code="no_published_policy") when there is none.
- ``policy_for_admission(admission_date) -> PolicyVersion | None``: the published version that judges a claim
  for a stay admitted on that date (the scheme year whose coverage period contains it, and the latest published
  version of that year already effective on that date).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from mutualaid.policies.models import PolicyVersion, SchemeYear
from mutualaid.policies.terms import EnrolmentTerms
from mutualaid.policies.values import PolicyStatus


def today() -> date:
    return timezone.localdate()


def _in_force(versions: list[PolicyVersion], on: date) -> PolicyVersion | None:
    """The latest published version effective on ``on`` (version 1 is effective for the whole year)."""
    effective = [v for v in versions if v.effective_from is None or v.effective_from <= on]
    return max(effective, key=lambda v: v.version, default=None)


def published_versions(scheme_year: int) -> list[PolicyVersion]:
    return list(
        PolicyVersion.objects.select_related("scheme_year").filter(
            scheme_year__year=scheme_year, status=PolicyStatus.PUBLISHED
        )
    )


def policy_in_force(scheme_year: int, on: date | None = None) -> PolicyVersion | None:
    """The published version of ``scheme_year`` in force on ``on`` (default today)."""
    versions = published_versions(scheme_year)
    found = _in_force(versions, on or today())
    if found is None and versions:
        # Before an amendment's date only version 1 can apply, and it applies from the start.
        found = min(versions, key=lambda v: v.version)
    return found


def enrolment_terms(scheme_year: int, on: date | None = None) -> EnrolmentTerms:
    policy = policy_in_force(scheme_year, on)
    if policy is None:
        raise ValidationError(
            {
                "scheme_year": ValidationError(
                    f"{scheme_year}互助年度尚无已发布的政策", code="no_published_policy"
                )
            }
        )
    return policy.to_enrolment_terms()


def policy_for_admission(admission_date: date) -> PolicyVersion | None:
    versions = list(
        PolicyVersion.objects.select_related("scheme_year").filter(
            status=PolicyStatus.PUBLISHED,
            coverage_start__lte=admission_date,
            coverage_end__gte=admission_date,
        )
    )
    by_year: dict[int, list[PolicyVersion]] = {}
    for version in versions:
        by_year.setdefault(version.scheme_year_id, []).append(version)
    candidates = [found for group in by_year.values() if (found := _in_force(group, admission_date))]
    # Coverage periods of scheme years do not overlap in practice; if they do, the later year wins.
    return max(candidates, key=lambda v: (v.scheme_year.year, v.version), default=None)


def latest_published_scheme_year(on: date | None = None) -> SchemeYear | None:
    """The newest scheme year with a published policy (for the public rules page)."""
    return (
        SchemeYear.objects.filter(versions__status=PolicyStatus.PUBLISHED)
        .order_by("-year")
        .distinct()
        .first()
    )


def previous_published_policy(scheme_year: int) -> PolicyVersion | None:
    """The latest published version of the newest earlier scheme year (for copying last year's table)."""
    return (
        PolicyVersion.objects.select_related("scheme_year")
        .filter(status=PolicyStatus.PUBLISHED, scheme_year__year__lt=scheme_year)
        .order_by("-scheme_year__year", "-version")
        .first()
    )
