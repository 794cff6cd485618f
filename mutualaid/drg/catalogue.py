"""Read-side domain functions over the DRG catalogue, for other apps (policies validate subsidy tables with them).

Codes are compared after trimming spaces and upper-casing, and results are keyed by the codes exactly as given.
A version code that was never imported raises ``UnknownCatalogueVersion``: a subsidy table against a missing
catalogue is a configuration error, not a list of unknown codes.
"""

from __future__ import annotations

from collections.abc import Iterable

from mutualaid.drg.models import CatalogueVersion, Drg


class UnknownCatalogueVersion(LookupError):
    def __init__(self, version_code: str):
        self.version_code = version_code
        super().__init__(f"DRG 分组方案版本 {version_code} 未导入或不存在")


def normalize_code(code: str) -> str:
    return code.strip().upper()


def catalogue_version_exists(version_code: str) -> bool:
    return CatalogueVersion.objects.filter(code=version_code).exists()


def _version_id(version_code: str) -> int:
    version_id = CatalogueVersion.objects.filter(code=version_code).values_list("id", flat=True).first()
    if version_id is None:
        raise UnknownCatalogueVersion(version_code)
    return version_id


def _names(version_id: int, normalized: set[str]) -> dict[str, str]:
    if not normalized:
        return {}
    return dict(Drg.objects.filter(version_id=version_id, code__in=normalized).values_list("code", "name"))


def unknown_drg_codes(version_code: str, codes: Iterable[str]) -> set[str]:
    """The given codes that are not DRGs of catalogue version ``version_code`` (e.g. ``"chs-drg-1.1"``)."""
    codes = list(codes)
    known = _names(_version_id(version_code), {normalize_code(c) for c in codes})
    return {code for code in codes if normalize_code(code) not in known}


def drg_names(version_code: str, codes: Iterable[str]) -> dict[str, str]:
    """Chinese names of the given DRG codes in ``version_code``; unknown codes are left out."""
    codes = list(codes)
    known = _names(_version_id(version_code), {normalize_code(c) for c in codes})
    return {code: known[normalize_code(code)] for code in codes if normalize_code(code) in known}
