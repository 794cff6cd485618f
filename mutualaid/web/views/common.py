"""What several console views share: the scheme year a page shows, and small conversions."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from mutualaid.platform.money import yuan_to_fen
from mutualaid.policies import selectors as policy_selectors
from mutualaid.policies.models import SchemeYear


def scheme_years() -> list[int]:
    return list(SchemeYear.objects.order_by("-year").values_list("year", flat=True))


def current_year(request=None) -> int | None:
    """``?year=`` when it is a scheme year of the town, else the newest with a published policy (else newest)."""
    years = scheme_years()
    asked = (request.GET.get("year") or request.POST.get("scheme_year")) if request is not None else None
    if asked and asked.isdigit() and int(asked) in years:
        return int(asked)
    latest = policy_selectors.latest_published_scheme_year()
    if latest is not None:
        return latest.year
    return years[0] if years else None


def terms_or_none(year: int | None):
    if year is None:
        return None
    try:
        return policy_selectors.enrolment_terms(year)
    except ValidationError:
        return None


def fen_of(value: str, field: str, *, allow_zero: bool = False) -> int:
    """Yuan typed in a form (“45”, “45.5”) as fen, or a ValidationError keyed by ``field``."""
    return yuan_to_fen((value or "").strip(), field=field, allow_zero=allow_zero)
