"""Import the national division CSV files (provinces.csv, cities.csv, areas.csv, streets.csv).

Idempotent: rows are upserted by code, so re-running changes nothing and a newer edition updates names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from mutualaid.platform.regions.models import City, County, Province, Township

FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")


@dataclass
class RegionImportResult:
    provinces: int
    cities: int
    counties: int
    townships: int


class RegionImportError(ValueError):
    pass


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _upsert(model, rows: list[dict], parent_field: str | None) -> int:
    fields = ["name"] + ([parent_field] if parent_field else [])
    objects = [model(**row) for row in rows]
    model.objects.bulk_create(
        objects, batch_size=2000, update_conflicts=True, unique_fields=["code"], update_fields=fields
    )
    return len(objects)


@transaction.atomic
def import_regions(directory: Path) -> RegionImportResult:
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise RegionImportError(f"目录 {directory} 缺少文件：{', '.join(missing)}")
    provinces = _upsert(
        Province, [{"code": r["code"], "name": r["name"]} for r in _rows(directory / "provinces.csv")], None
    )
    province_ids = dict(Province.objects.values_list("code", "id"))
    cities = _upsert(
        City,
        [
            {"code": r["code"], "name": r["name"], "province_id": province_ids[r["provinceCode"]]}
            for r in _rows(directory / "cities.csv")
        ],
        "province",
    )
    city_ids = dict(City.objects.values_list("code", "id"))
    counties = _upsert(
        County,
        [
            {"code": r["code"], "name": r["name"], "city_id": city_ids[r["cityCode"]]}
            for r in _rows(directory / "areas.csv")
        ],
        "city",
    )
    county_ids = dict(County.objects.values_list("code", "id"))
    townships = _upsert(
        Township,
        [
            {"code": r["code"], "name": r["name"], "county_id": county_ids[r["areaCode"]]}
            for r in _rows(directory / "streets.csv")
            if r["areaCode"] in county_ids
        ],
        "county",
    )
    return RegionImportResult(provinces, cities, counties, townships)


# The demo's regions, so `mutualaid demo` works on a machine without ../shared/data.
SEED_REGIONS: dict[str, list[tuple[str, ...]]] = {
    "provinces": [("32", "江苏省"), ("50", "重庆市")],
    "cities": [("3206", "南通市", "32"), ("5001", "市辖区", "50")],
    "counties": [("320685", "海安市", "3206"), ("500152", "潼南区", "5001")],
    "townships": [
        ("320685100", "海安镇", "320685"),
        ("320685101", "城东镇", "320685"),
        ("320685102", "曲塘镇", "320685"),
        ("320685103", "李堡镇", "320685"),
        ("320685105", "角斜镇", "320685"),
        ("320685107", "大公镇", "320685"),
        ("320685109", "雅周镇", "320685"),
        ("500152116", "新胜镇", "500152"),
    ],
}


@transaction.atomic
def ensure_seed_regions() -> None:
    for code, name in SEED_REGIONS["provinces"]:
        Province.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, parent in SEED_REGIONS["cities"]:
        City.objects.get_or_create(
            code=code, defaults={"name": name, "province": Province.objects.get(code=parent)}
        )
    for code, name, parent in SEED_REGIONS["counties"]:
        County.objects.get_or_create(
            code=code, defaults={"name": name, "city": City.objects.get(code=parent)}
        )
    for code, name, parent in SEED_REGIONS["townships"]:
        Township.objects.get_or_create(
            code=code, defaults={"name": name, "county": County.objects.get(code=parent)}
        )
