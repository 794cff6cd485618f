"""Demo catalogues: load CHS-DRG 1.1 and 2.0, the ICD lists and one city weight table from the reference data.

The reference data lives outside the repository, in ``../shared/data`` next to it, or wherever the environment
variable ``MUTUALAID_REFERENCE_DATA`` points. Without it the demo runs without catalogues.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from mutualaid.drg.city_weights import import_city_weights
from mutualaid.drg.importer import catalogue_is_current, icd_is_current, import_catalogue, import_icd
from mutualaid.drg.models import CatalogueVersion, CityWeightTable

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parents[2]
DEMO_VERSIONS = ("chs-drg-1.1", "chs-drg-2.0")
# 盐城 is in 江苏 like the 海安 demo towns; its 2023 table follows CHS-DRG 1.1.
DEMO_CITY_TABLE = ("盐城", 2023, "city-payment-standards/盐城2023.csv", "chs-drg-1.1")


def reference_data_dir() -> Path:
    configured = os.environ.get("MUTUALAID_REFERENCE_DATA")
    return Path(configured) if configured else (REPOSITORY.parent / "shared" / "data").resolve()


@dataclass
class DemoCatalogues:
    data_dir: Path
    present: bool
    imported: list[str] = field(default_factory=list)


def ensure_demo_catalogues(data_dir: Path | str | None = None) -> DemoCatalogues:
    """Import what is missing (idempotent; a quick hash check per source when everything is already there)."""
    root = Path(data_dir) if data_dir else reference_data_dir()
    result = DemoCatalogues(root, (root / "drg").is_dir() or (root / "icd").is_dir())
    if not result.present:
        logger.info("未找到参考数据 %s，演示数据不含 DRG/ICD 目录", root)
        return result
    for version in DEMO_VERSIONS:
        folder = root / "drg" / version
        if folder.is_dir() and not catalogue_is_current(version, folder):
            import_catalogue(version, folder)
            result.imported.append(version)
    icd = root / "icd"
    if icd.is_dir() and not icd_is_current(icd):
        import_icd(icd)
        result.imported.append("icd")
    city, year, relative, version = DEMO_CITY_TABLE
    table = root / "drg" / relative
    if (
        table.is_file()
        and CatalogueVersion.objects.filter(code=version).exists()
        and not CityWeightTable.objects.filter(city=city, year=year, version__code=version).exists()
    ):
        import_city_weights(city, year, table, version_code=version)
        result.imported.append(f"{city}{year}")
    return result
