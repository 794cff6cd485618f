"""``mutualaid drg group``: a CSV of stays in, exactly ``id,mdc,adrg,drg,status,reasons`` out."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from mutualaid.drg.group_file import OUT_COLUMNS, parse_row
from tests.drg.conftest import needs_data

pytestmark = needs_data

IN_CSV = """id,sex,age,age_days,weight,dept,los,leaving_type,diagnoses,procedures
1,1,60,,,0302,7,1,I21.900|J96.000,
2,2,50,,,,,,N40.x00,
3,1,0,3,3000,,,,P22.000,
4,1,30,,,,,,S06.500|S27.000,
5,3,30,,,,,,J18.900,
6,,,,,,,,,
7,1,45,,,,,,J18.900|ZZZ.999,
"""


def _run(tmp_path, text: str, version: str = "chs-drg-1.1", encoding: str = "utf-8") -> list[dict]:
    source = tmp_path / "in.csv"
    source.write_bytes(text.encode(encoding))
    target = tmp_path / "out.csv"
    out = io.StringIO()
    call_command("drg", "group", "--version", version, str(source), "-o", str(target), stdout=out)
    assert "已分组" in out.getvalue()
    with target.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == OUT_COLUMNS
        return list(reader)


@pytest.mark.parametrize("version", ["chs-drg-1.1", "chs-drg-2.0"])
def test_a_file_is_grouped_row_by_row_with_exactly_the_agreed_columns(catalogues, tmp_path, version):
    rows = {row["id"]: row for row in _run(tmp_path, IN_CSV, version)}
    assert list(rows) == ["1", "2", "3", "4", "5", "6", "7"]
    assert rows["1"]["status"] == "ok" and rows["1"]["mdc"] == "MDCF" and rows["1"]["drg"].startswith("F")
    assert "入组 ADRG" in rows["1"]["reasons"] and rows["1"]["adrg"] == rows["1"]["drg"][:3]
    assert (rows["2"]["status"], rows["2"]["drg"]) == ("sex_conflict", "0000")
    assert (rows["3"]["mdc"], rows["3"]["adrg"]) == ("MDCP", "PR1")
    assert rows["4"]["mdc"] == "MDCZ"
    assert (rows["5"]["status"], rows["5"]["drg"]) == ("invalid_value", "0000")
    assert "性别" in rows["5"]["reasons"]
    assert rows["6"]["status"] == "required"
    assert rows["7"]["status"] == "unknown_code" and "ZZZ.999" in rows["7"]["reasons"]


def test_gbk_files_and_quoted_comma_lists_are_read(catalogues, tmp_path):
    text = 'id,sex,age,diagnoses,procedures\nA1,男,70,"I21.900,J96.000",\n'
    rows = _run(tmp_path, text, encoding="gbk")
    assert rows[0]["id"] == "A1" and rows[0]["status"] == "ok" and rows[0]["mdc"] == "MDCF"


def test_a_file_without_the_needed_columns_or_an_unknown_version_is_refused(catalogues, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,sex\n1,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="缺少列：diagnoses"):
        call_command("drg", "group", "--version", "chs-drg-1.1", str(source), stdout=io.StringIO())
    source.write_text(IN_CSV, encoding="utf-8")
    with pytest.raises(CommandError, match=r"chs-drg-9\.9"):
        call_command("drg", "group", "--version", "chs-drg-9.9", str(source), stdout=io.StringIO())


def test_rows_are_parsed_leniently_but_bad_values_are_named():
    assert parse_row({"sex": "9", "diagnoses": "I10.x00"})["sex"] is None  # 未说明的性别
    stay = parse_row({"sex": "2.0", "age": "45.0", "diagnoses": "I10.x00 | E11.900", "procedures": ""})
    assert stay["sex"] == 2 and stay["age"] == 45 and stay["diagnoses"] == ["I10.x00", "E11.900"]
    with pytest.raises(ValueError, match="年龄"):
        parse_row({"age": "abc", "diagnoses": "I10.x00"})
    with pytest.raises(ValueError, match="出生体重"):
        parse_row({"weight": "-5", "diagnoses": "I10.x00"})
