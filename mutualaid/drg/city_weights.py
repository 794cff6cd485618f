"""Import a city's DRG weight and payment table (CSV, UTF-8 or GBK) against a catalogue version.

The tables differ city by city. Recognised columns: the DRG code (DRG编码 / DRG / DRG组编码 / 分组编码), its name
(…名称), the relative weight (RW / 权重 / 初始权重), the group type (病组类型 / 病组标识), and payment standards
(any column with 支付标准; hospital level and insurance type are read from the header, e.g. 支付标准（三级职工）,
二级医院支付标准（居民）). Every other column (rates, level coefficients, flags such as 基础病组) is kept as text in
``extra``. Codes that are not DRGs of the catalogue version (local sub-groups such as BV11B, 歧义组 BQY, 0000 未入组)
are kept with an empty ``drg`` link and reported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from mutualaid.drg.importer import CatalogueImportError
from mutualaid.drg.models import CatalogueVersion, CityDrgWeight, CityWeightTable, Drg, PaymentStandard

CODE_HEADERS = ("DRG编码", "DRG", "DRG组编码", "分组编码", "病组编码")
RW_HEADERS = ("RW", "权重", "初始权重", "相对权重")
GROUP_TYPE_HEADERS = ("病组类型", "病组标识")
INSURANCE_TYPES = ("职工", "居民")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass
class PaymentColumn:
    index: int
    header: str
    hospital_level: str
    insurance_type: str


@dataclass
class CityWeightImportResult:
    city: str
    year: int
    version_code: str
    encoding: str
    changed: bool
    rows: int
    known: int
    payment_standards: int
    unknown_codes: list[str] = field(default_factory=list)
    duplicate_codes: list[str] = field(default_factory=list)


def decode_table(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a CSV: UTF-8 (with or without BOM), else GBK / GB18030."""
    for encoding in ("utf-8-sig", "gbk", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, ("utf-8" if encoding == "utf-8-sig" else encoding)
    raise CatalogueImportError("无法识别文件编码（应为 UTF-8 或 GBK）")


def payment_column(index: int, header: str) -> PaymentColumn:
    """二级医院支付标准（职工） → level 二级, insurance 职工; 支付标准（三级居民） → 三级, 居民; 支付标准 → all."""
    rest = header.replace("支付标准", "").replace("医院", "")
    insurance = next((kind for kind in INSURANCE_TYPES if kind in rest), "")
    if insurance:
        rest = rest.replace(insurance, "")
    level = re.sub(r"[（）()\s]", "", rest)
    return PaymentColumn(index, header, level, insurance)


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - guarded by the pattern
        return None


def _fen(yuan: Decimal) -> int:
    return int((yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pick_version(version_code: str | None, codes: set[str]) -> CatalogueVersion:
    if version_code:
        version = CatalogueVersion.objects.filter(code=version_code).first()
        if version is None:
            raise CatalogueImportError(
                f"DRG 分组方案版本 {version_code} 尚未导入（先运行 mutualaid drg import）"
            )
        return version
    versions = list(CatalogueVersion.objects.order_by("code"))
    if not versions:
        raise CatalogueImportError("尚未导入任何 DRG 分组方案（先运行 mutualaid drg import）")
    # The version whose DRG codes the table uses most; on a tie the older one (tables before 2024 follow 1.1).
    return max(versions, key=lambda v: (Drg.objects.filter(version=v, code__in=codes).count(), -v.pk))


def import_city_weights(
    city: str, year: int, path: Path | str, *, version_code: str | None = None, force: bool = False
) -> CityWeightImportResult:
    """Import one city table. Raises ``CatalogueImportError`` (nothing written) for an unreadable file."""
    path = Path(path)
    city = city.strip()
    if not city:
        raise CatalogueImportError("城市名称不能为空")
    if not 2000 <= int(year) <= 2100:
        raise CatalogueImportError(f"年度不正确：{year}")
    if not path.is_file():
        raise CatalogueImportError(f"文件 {path} 不存在")
    data = path.read_bytes()
    text, encoding = decode_table(data)
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise CatalogueImportError(f"{path.name} 中没有数据行")
    header = [cell.strip() for cell in rows[0]]
    code_index = next((i for i, h in enumerate(header) if h in CODE_HEADERS), None)
    if code_index is None:
        raise CatalogueImportError(
            f"{path.name} 不是 DRG 权重表：表头缺少 DRG 编码列（如“DRG编码”），表头为 {header}"
        )
    name_index = next((i for i, h in enumerate(header) if "名称" in h and i != code_index), None)
    rw_index = next((i for i, h in enumerate(header) if h in RW_HEADERS), None)
    group_index = next((i for i, h in enumerate(header) if h in GROUP_TYPE_HEADERS), None)
    payments = [payment_column(i, h) for i, h in enumerate(header) if "支付标准" in h]
    special = {code_index, name_index, rw_index, group_index} | {p.index for p in payments}

    parsed: dict[str, dict] = {}
    duplicates: list[str] = []
    for raw in rows[1:]:
        row = [cell.strip() for cell in raw] + [""] * (len(header) - len(raw))
        code = row[code_index]
        if not code:
            continue
        if code in parsed:
            duplicates.append(code)
            continue
        rw_text = row[rw_index] if rw_index is not None else ""
        extra = {header[i]: row[i] for i in range(len(header)) if i not in special and row[i]}
        rw = _decimal(rw_text) if rw_text else None
        if rw_text and rw is None and rw_index is not None:
            extra[header[rw_index]] = rw_text  # 按项目据实支付, 无
        standards = []
        for column in payments:
            amount = _decimal(row[column.index])
            if amount is not None and amount > 0:
                standards.append((column, _fen(amount)))
            elif row[column.index]:
                extra[column.header] = row[column.index]
        parsed[code] = {
            "name": (row[name_index] if name_index is not None else "")[:255],
            "relative_weight": rw,
            "group_type": (row[group_index] if group_index is not None else "")[:64],
            "extra": extra,
            "standards": standards,
        }

    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        version = _pick_version(version_code, set(parsed))
        drg_ids = dict(Drg.objects.filter(version=version, code__in=list(parsed)).values_list("code", "id"))
        unknown = sorted(code for code in parsed if code not in drg_ids)
        result = CityWeightImportResult(
            city,
            int(year),
            version.code,
            encoding,
            False,
            len(parsed),
            len(parsed) - len(unknown),
            sum(len(p["standards"]) for p in parsed.values()),
            unknown,
            duplicates,
        )
        table = (
            CityWeightTable.objects.select_for_update().filter(city=city, year=year, version=version).first()
        )
        if table is not None and table.content_hash == digest and not force:
            return result
        if table is None:
            table = CityWeightTable(city=city, year=year, version=version)
        else:
            table.weights.all().delete()
        table.source_name = path.name[:255]
        table.encoding = encoding
        table.columns = header
        table.content_hash = digest
        table.unknown_codes = unknown
        table.imported_at = timezone.now()
        table.save()
        weights = CityDrgWeight.objects.bulk_create(
            [
                CityDrgWeight(
                    table=table,
                    drg_code=code[:16],
                    drg_id=drg_ids.get(code),
                    name=values["name"],
                    relative_weight=values["relative_weight"],
                    group_type=values["group_type"],
                    extra=values["extra"],
                )
                for code, values in parsed.items()
            ],
            batch_size=1000,
        )
        PaymentStandard.objects.bulk_create(
            [
                PaymentStandard(
                    weight=weight,
                    column=column.header[:64],
                    hospital_level=column.hospital_level[:32],
                    insurance_type=column.insurance_type,
                    amount_fen=amount,
                )
                for weight, values in zip(weights, parsed.values(), strict=True)
                for column, amount in values["standards"]
            ],
            batch_size=2000,
        )
    result.changed = True
    return result
