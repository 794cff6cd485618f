"""City DRG weight and payment tables: encodings, column layouts, unknown codes, idempotency."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualaid.drg.city_weights import decode_table, payment_column
from mutualaid.drg.models import CityDrgWeight, CityWeightTable, PaymentStandard
from tests.drg.conftest import CITY_DATA, needs_data


def _import(*args) -> str:
    out = StringIO()
    call_command("drg", "import-weights", *args, stdout=out)
    return out.getvalue()


@needs_data
def test_a_gbk_city_table_is_detected_and_read(catalogues):
    # Given 苏州2022.csv, which is GBK-encoded
    path = CITY_DATA / "苏州2022.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    # When it is imported
    out = _import("苏州", "2022", str(path), "--catalogue", "chs-drg-1.1")
    # Then its Chinese text, weights and payment standards by hospital level are read correctly
    table = CityWeightTable.objects.get(city="苏州", year=2022, version__code="chs-drg-1.1")
    assert table.encoding == "gbk" and "文件编码 gbk" in out
    heart = CityDrgWeight.objects.get(table=table, drg_code="AA19")
    assert (
        heart.name == "心脏移植" and heart.relative_weight == Decimal("29.7") and heart.drg.name == "心脏移植"
    )
    standards = {(p.hospital_level, p.insurance_type): p.amount_fen for p in heart.payment_standards.all()}
    assert standards == {("一级", ""): 21017019, ("二级", ""): 28583146, ("三级", ""): 33627231}
    assert heart.extra == {"一级医院系数": "0.75", "二级医院系数": "1.02", "三级医院系数": "1.2"}
    # And codes that are not DRGs of the catalogue (local sub-groups) are kept unlinked and reported
    assert "BB2A" in table.unknown_codes and "BB2A" in out and "不在 chs-drg-1.1 目录中" in out
    assert CityDrgWeight.objects.get(table=table, drg_code="BB2A").drg is None


@needs_data
def test_payment_standards_by_level_and_insurance_type(catalogues):
    _import("临沂", "2022", str(CITY_DATA / "临沂2022.csv"))
    row = CityDrgWeight.objects.get(table__city="临沂", drg_code="ES21")
    standards = {(p.hospital_level, p.insurance_type): p.amount_fen for p in row.payment_standards.all()}
    assert standards == {
        ("三级", "职工"): 1489615,
        ("三级", "居民"): 1418041,
        ("二级", "职工"): 1457301,
        ("二级", "居民"): 1283651,
    }
    # the version was chosen by the codes the table uses (no --catalogue given)
    assert row.table.version.code == "chs-drg-1.1"


@needs_data
def test_reimporting_a_city_table_changes_nothing_and_duplicates_are_reported(catalogues):
    out = _import("乌鲁木齐", "2022", str(CITY_DATA / "乌鲁木齐2022.csv"))
    assert "重复的编码（只保留第一行）：DR13" in out
    table = CityWeightTable.objects.get(city="乌鲁木齐", year=2022)
    ids = list(CityDrgWeight.objects.filter(table=table).values_list("pk", flat=True))
    assert "已是最新" in _import("乌鲁木齐", "2022", str(CITY_DATA / "乌鲁木齐2022.csv"))
    assert list(CityDrgWeight.objects.filter(table=table).values_list("pk", flat=True)) == ids


@needs_data
def test_a_non_numeric_weight_is_kept_as_text(catalogues):
    _import("北京", "2022", str(CITY_DATA / "北京2022.csv"))
    texts = CityDrgWeight.objects.filter(table__city="北京", relative_weight__isnull=True)
    assert texts.exists() and all(w.extra.get("RW") for w in texts)


def test_a_file_that_is_not_a_weight_table_is_refused(db, tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("编号,名称\n1,甲\n", encoding="utf-8")
    before = CityWeightTable.objects.count(), PaymentStandard.objects.count()
    with pytest.raises(CommandError, match="不是 DRG 权重表"):
        _import("某市", "2022", str(bad))
    with pytest.raises(CommandError, match="不存在"):
        _import("某市", "2022", str(tmp_path / "missing.csv"))
    assert (CityWeightTable.objects.count(), PaymentStandard.objects.count()) == before


@needs_data
def test_an_unknown_catalogue_version_is_refused(catalogues):
    with pytest.raises(CommandError, match=re.escape("chs-drg-9.9 尚未导入")):
        _import("苏州", "2023", str(CITY_DATA / "苏州2023.csv"), "--catalogue", "chs-drg-9.9")
    assert not CityWeightTable.objects.filter(city="苏州", year=2023).exists()


def test_encoding_detection_and_payment_headers():
    assert decode_table("DRG编码,RW\n".encode("gbk")) == ("DRG编码,RW\n", "gbk")
    assert decode_table("\ufeffDRG编码,RW\n".encode()) == ("DRG编码,RW\n", "utf-8")
    column = payment_column(4, "二级医院支付标准（职工）")
    assert (column.hospital_level, column.insurance_type) == ("二级", "职工")
    column = payment_column(3, "支付标准（三级居民）")
    assert (column.hospital_level, column.insurance_type) == ("三级", "居民")
    column = payment_column(3, "支付标准")
    assert (column.hospital_level, column.insurance_type) == ("", "")
