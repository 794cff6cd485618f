"""Batch loads of the policy types (one query per list level, through ``mutualaid.graphql.core.loaders``)."""

from __future__ import annotations

from django.db.models import Count

from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.models import PolicyVersion, SchemeYear, SubsidyEntry


def table_counts(policy_ids: list) -> list:
    counts = dict(
        SubsidyEntry.objects.filter(policy_id__in=policy_ids)
        .values_list("policy_id")
        .annotate(n=Count("id"))
        .values_list("policy_id", "n")
    )
    return [counts.get(pk, 0) for pk in policy_ids]


def versions_by_year(year_ids: list) -> list:
    result: dict[int, list] = {pk: [] for pk in year_ids}
    for policy in PolicyVersion.objects.filter(scheme_year_id__in=year_ids).order_by("version"):
        result[policy.scheme_year_id].append(policy)
    return [result[pk] for pk in year_ids]


def has_draft(year_ids: list) -> list:
    with_draft = set(
        PolicyVersion.objects.filter(scheme_year_id__in=year_ids, status=PolicyStatus.DRAFT).values_list(
            "scheme_year_id", flat=True
        )
    )
    return [pk in with_draft for pk in year_ids]


def latest_published(year_ids: list) -> list:
    latest: dict[int, PolicyVersion] = {}
    for policy in PolicyVersion.objects.filter(
        scheme_year_id__in=year_ids, status=PolicyStatus.PUBLISHED
    ).order_by("version"):
        latest[policy.scheme_year_id] = policy
    return [latest.get(pk) for pk in year_ids]


def year_numbers(year_ids: list) -> list:
    years = dict(SchemeYear.objects.filter(pk__in=year_ids).values_list("pk", "year"))
    return [years.get(pk) for pk in year_ids]


def version_numbers(policy_ids: list) -> list:
    numbers = dict(PolicyVersion.objects.filter(pk__in=policy_ids).values_list("pk", "version"))
    return [numbers.get(pk) for pk in policy_ids]
