"""Import the DRG catalogue versions and the ICD 医保版 lists into the public schema.

Both imports parse and validate every file first and write in one transaction, so a wrong folder writes nothing.
Re-running with the same files is a no-op (the content hash matches); with changed files the MDC / ADRG / DRG rows
are updated in place by code (their ids, and so API ids and city-weight links, stay) and the rule tables are
replaced. The large tables go in with PostgreSQL COPY: a whole version takes about a second.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from mutualaid.drg import grouper
from mutualaid.drg.models import (
    Adrg,
    CatalogueVersion,
    CcExclusion,
    CityDrgWeight,
    CityWeightTable,
    Complication,
    Drg,
    IcdCode,
    IcdImport,
    InvalidCode,
    Mdc,
    RuleList,
    RuleListEntry,
)
from mutualaid.drg.rule_files import (
    LAYOUTS,
    ParsedCatalogue,
    RuleFileError,
    content_hash,
    parse_catalogue,
    read_text,
)

ICD_EDITION = "医保版2.0"
ICD_FILES = {
    "diagnosis": ("ICD10医保版v2.0.dat", "ICD10医保版v2.0灰码.dat"),
    "procedure": ("ICD9CM3医保版v2.0.dat", "ICD9CM3医保版v2.0灰码.dat"),
}


class CatalogueImportError(ValueError):
    """A folder or file that cannot be imported; the message is for the person who ran the import."""


@dataclass
class CatalogueImportResult:
    version_code: str
    changed: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class IcdImportResult:
    changed: bool
    diagnoses: int
    procedures: int
    grey_diagnoses: int
    grey_procedures: int


def _copy_escape(value) -> str:
    if value is None:
        return r"\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Bulk-insert with COPY ... FROM STDIN (text format) into ``model``'s table in the current schema."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(_copy_escape(v) for v in row))
        buffer.write("\n")
        count += 1
    if count:
        buffer.seek(0)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
    return count


def delete_rows(model, column: str, value) -> None:
    """DELETE in one statement (the ORM's delete() would load every row to send signals; these have none)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {connection.ops.quote_name(column)} = %s", [value])


def analyze(*models) -> None:
    """Refresh planner statistics after a bulk load, so that searches use the prefix indexes right away."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _upsert_by_code(model, version: CatalogueVersion, rows: dict[str, dict]) -> dict[str, int]:
    """Insert or update ``model`` rows of ``version`` by code; delete codes no longer present. Returns code → id."""
    objects = [model(version=version, code=code, **values) for code, values in rows.items()]
    fields = list(next(iter(rows.values())).keys())
    model.objects.bulk_create(
        objects,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["version", "code"],
        update_fields=fields,
    )
    model.objects.filter(version=version).exclude(code__in=list(rows)).delete()
    return dict(model.objects.filter(version=version).values_list("code", "id"))


def _write_catalogue(parsed: ParsedCatalogue) -> CatalogueVersion:
    layout = parsed.layout
    version, _ = CatalogueVersion.objects.update_or_create(code=layout.code, defaults={"name": layout.name})
    mdc_ids = _upsert_by_code(Mdc, version, {code: {"name": name} for code, name in parsed.mdcs.items()})
    adrg_ids = _upsert_by_code(
        Adrg,
        version,
        {code: {"mdc_id": mdc_ids[mdc], "name": name} for code, (mdc, name) in parsed.adrgs.items()},
    )
    _upsert_by_code(
        Drg,
        version,
        {
            code: {"adrg_id": adrg_ids[adrg], "name": name, "split": split}
            for code, (adrg, name, split) in parsed.drgs.items()
        },
    )

    # Rule tables: nothing references them, so replace them wholesale.
    for model in (RuleListEntry, RuleList, Complication, CcExclusion, InvalidCode):
        delete_rows(model, "version_id", version.pk)

    lists = RuleList.objects.bulk_create(
        [
            RuleList(
                version=version,
                mdc_id=mdc_ids.get(item.owner_code),
                adrg_id=adrg_ids.get(item.owner_code),
                owner_code=item.owner_code,
                variant=item.variant,
                position=item.position,
                heading=item.heading,
                kind=item.kind,
                note=item.note,
            )
            for item in parsed.rule_lists
        ],
        batch_size=1000,
    )
    copy_rows(
        RuleListEntry,
        ["rule_list_id", "version_id", "icd_code", "icd_name", "marker"],
        (
            (saved.pk, version.pk, code, name, marker)
            for saved, item in zip(lists, parsed.rule_lists, strict=True)
            for code, name, marker in item.entries
        ),
    )
    copy_rows(
        Complication,
        ["version_id", "level", "icd_code", "icd_name", "exclusion_table"],
        ((version.pk, *row) for row in parsed.complications),
    )
    copy_rows(
        CcExclusion,
        ["version_id", "table", "icd_code", "icd_name"],
        ((version.pk, *row) for row in parsed.exclusions),
    )
    copy_rows(
        InvalidCode,
        ["version_id", "kind", "icd_code", "icd_name"],
        ((version.pk, *row) for row in parsed.invalid),
    )

    # City weight rows read against this version follow the (possibly new) DRG rows by code.
    relink_city_weights(version)
    version.content_hash = parsed.content_hash
    version.imported_at = timezone.now()
    version.save(update_fields=["content_hash", "imported_at"])
    return version


def relink_city_weights(version: CatalogueVersion) -> None:
    """Point city weight rows read against ``version`` at its (possibly re-created) DRG rows, by code."""
    drg_id = Drg.objects.filter(version=version, code=OuterRef("drg_code")).values("id")[:1]
    CityDrgWeight.objects.filter(table__version=version).update(drg_id=Subquery(drg_id))
    for table in CityWeightTable.objects.filter(version=version):
        unknown = sorted(table.weights.filter(drg__isnull=True).values_list("drg_code", flat=True))
        if unknown != table.unknown_codes:
            CityWeightTable.objects.filter(pk=table.pk).update(unknown_codes=unknown)


def import_catalogue(
    version_code: str, directory: Path | str, *, force: bool = False
) -> CatalogueImportResult:
    """Import one CHS-DRG version from its rule-table folder. Raises ``CatalogueImportError`` (nothing written)."""
    try:
        parsed = parse_catalogue(version_code, Path(directory))
    except RuleFileError as exc:
        raise CatalogueImportError(str(exc)) from exc
    counts = parsed.counts()
    with transaction.atomic():
        current = CatalogueVersion.objects.select_for_update().filter(code=version_code).first()
        if not force and current is not None and current.content_hash == parsed.content_hash:
            return CatalogueImportResult(version_code, False, counts)
        _write_catalogue(parsed)
    analyze(Mdc, Adrg, Drg, RuleList, RuleListEntry, Complication, CcExclusion, InvalidCode)
    grouper.invalidate(version_code)  # other processes see the new import stamp on their next look-up
    return CatalogueImportResult(version_code, True, counts)


def catalogue_is_current(version_code: str, directory: Path | str) -> bool:
    """Whether ``version_code`` was imported from exactly these files (cheap: hashes the files, parses nothing)."""
    layout = LAYOUTS.get(version_code)
    if layout is None or not Path(directory).is_dir():
        return False
    try:
        digest = content_hash(Path(directory), layout)
    except OSError:
        return False
    return CatalogueVersion.objects.filter(code=version_code, content_hash=digest).exists()


# --- ICD 医保版 lists ---------------------------------------------------------------------------------------------


def _read_icd_list(path: Path) -> dict[str, str]:
    result: dict[str, str] = {}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise CatalogueImportError(f"{path.name} 第 {number} 行不是“编码 名称”：{line[:60]}")
        result.setdefault(parts[0], parts[1].strip()[:255])
    if not result:
        raise CatalogueImportError(f"{path.name} 中没有任何编码")
    return result


def _read_grey(path: Path, known: dict[str, str]) -> set[str]:
    grey = {line.split()[0] for line in read_text(path).splitlines() if line.strip()}
    unknown = sorted(grey - set(known))
    if unknown:
        raise CatalogueImportError(
            f"{path.name} 中有 {len(unknown)} 个灰码不在编码表中，如 {'、'.join(unknown[:5])}"
        )
    return grey


def icd_files_hash(directory: Path) -> str:
    digest = hashlib.sha256(ICD_EDITION.encode())
    for names in ICD_FILES.values():
        for name in names:
            digest.update(name.encode() + b"\0" + (directory / name).read_bytes())
    return digest.hexdigest()


def icd_is_current(directory: Path | str) -> bool:
    """Whether the ICD lists were imported from exactly these files (hashes the files, parses nothing)."""
    directory = Path(directory)
    if not all((directory / n).is_file() for names in ICD_FILES.values() for n in names):
        return False
    return IcdImport.objects.filter(edition=ICD_EDITION, content_hash=icd_files_hash(directory)).exists()


def import_icd(directory: Path | str, *, force: bool = False) -> IcdImportResult:
    """Import the ICD-10 and ICD-9-CM-3 医保版 2.0 lists with their grey codes. Raises ``CatalogueImportError``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogueImportError(f"文件夹 {directory} 不存在")
    missing = [n for names in ICD_FILES.values() for n in names if not (directory / n).is_file()]
    if missing:
        raise CatalogueImportError(
            f"文件夹 {directory} 不是 ICD 医保版 2.0 编码表：缺少 {'、'.join(missing)}"
        )
    try:
        lists = {}
        for kind, (main, grey) in ICD_FILES.items():
            codes = _read_icd_list(directory / main)
            lists[kind] = (codes, _read_grey(directory / grey, codes))
    except RuleFileError as exc:
        raise CatalogueImportError(str(exc)) from exc
    digest = icd_files_hash(directory)
    result = IcdImportResult(
        False,
        len(lists["diagnosis"][0]),
        len(lists["procedure"][0]),
        len(lists["diagnosis"][1]),
        len(lists["procedure"][1]),
    )
    with transaction.atomic():
        current = IcdImport.objects.select_for_update().filter(edition=ICD_EDITION).first()
        if not force and current is not None and current.content_hash == digest:
            return result
        delete_rows(IcdCode, "edition", ICD_EDITION)
        copy_rows(
            IcdCode,
            ["edition", "kind", "code", "name", "grey"],
            (
                (ICD_EDITION, kind, code, name, "t" if code in grey else "f")
                for kind, (codes, grey) in lists.items()
                for code, name in codes.items()
            ),
        )
        IcdImport.objects.update_or_create(
            edition=ICD_EDITION, defaults={"content_hash": digest, "imported_at": timezone.now()}
        )
    analyze(IcdCode)
    grouper.invalidate()  # every version's grouper reads the ICD lists
    result.changed = True
    return result
