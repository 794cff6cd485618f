"""Read queries over the catalogues (querysets, no permission checks): the GraphQL layer and other apps use them.

``search``: text made only of letters, digits and ``.+*`` is a code prefix (case-insensitive; an index range scan
on ``UPPER(code)``); anything else (Chinese) is a name substring. ``name_contains`` always searches names.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from mutualaid.drg.models import Adrg, CatalogueVersion, CityDrgWeight, CityWeightTable, Drg, IcdCode, Mdc

_CODE_LIKE = re.compile(r"^[A-Za-z0-9.+*]+$")


def search_filter(queryset: QuerySet, search: str | None, name_contains: str | None = None) -> QuerySet:
    search = (search or "").strip()
    if search:
        if _CODE_LIKE.match(search):
            queryset = queryset.filter(code__istartswith=search)
        else:
            queryset = queryset.filter(name__contains=search)
    name_contains = (name_contains or "").strip()
    if name_contains:
        queryset = queryset.filter(name__contains=name_contains)
    return queryset


def _code(value: str) -> str:
    return value.strip().upper()


def catalogue_versions() -> QuerySet:
    return CatalogueVersion.objects.order_by("code")


def mdcs(version: str, *, search: str | None = None) -> QuerySet:
    return search_filter(Mdc.objects.filter(version__code=version), search).order_by("code")


def adrgs(
    version: str, *, mdc_code: str | None = None, search: str | None = None, name_contains: str | None = None
) -> QuerySet:
    queryset = Adrg.objects.filter(version__code=version)
    if mdc_code:
        queryset = queryset.filter(mdc__code=_code(mdc_code))
    return search_filter(queryset, search, name_contains).order_by("code")


def drgs(
    version: str,
    *,
    mdc_code: str | None = None,
    adrg_code: str | None = None,
    split: str | None = None,
    search: str | None = None,
    name_contains: str | None = None,
) -> QuerySet:
    queryset = Drg.objects.filter(version__code=version)
    if mdc_code:
        queryset = queryset.filter(adrg__mdc__code=_code(mdc_code))
    if adrg_code:
        queryset = queryset.filter(adrg__code=_code(adrg_code))
    if split:
        queryset = queryset.filter(split=split)
    return search_filter(queryset, search, name_contains).order_by("code")


def drg(version: str, code: str) -> Drg | None:
    return Drg.objects.filter(version__code=version, code=_code(code)).first()


def icd_codes(
    *,
    kind: str | None = None,
    search: str | None = None,
    name_contains: str | None = None,
    grey: bool | None = None,
) -> QuerySet:
    queryset = IcdCode.objects.all()
    if kind:
        queryset = queryset.filter(kind=kind)
    if grey is not None:
        queryset = queryset.filter(grey=grey)
    return search_filter(queryset, search, name_contains).order_by("kind", "code")


def city_weight_tables(
    *, city: str | None = None, year: int | None = None, version: str | None = None
) -> QuerySet:
    queryset = CityWeightTable.objects.all()
    if city:
        queryset = queryset.filter(city=city.strip())
    if year:
        queryset = queryset.filter(year=year)
    if version:
        queryset = queryset.filter(version__code=version)
    return queryset.order_by("city", "-year", "version_id")


def city_weights(
    drg_code: str, *, version: str | None = None, city: str | None = None, year: int | None = None
) -> QuerySet:
    """Rows of the city tables for a DRG code (as printed in the tables), newest year first within a city."""
    code = drg_code.strip()
    queryset = CityDrgWeight.objects.filter(
        drg_code__in={code, code.upper()}
    )  # local codes may be lower case
    if version:
        queryset = queryset.filter(table__version__code=version)
    if city:
        queryset = queryset.filter(table__city=city.strip())
    if year:
        queryset = queryset.filter(table__year=year)
    return queryset.order_by("table__city", "-table__year", "table__version_id")
