"""Subsidy table tools: upload (CSV/XLSX, all-or-nothing with row numbers), download, copy, scale, cost preview."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from mutualaid.policies import actions
from mutualaid.policies import subsidy_table as tables
from mutualaid.policies.models import SchemeYear
from mutualaid.policies.values import SubsidyRow


def codes(exc: ValidationError) -> set[tuple[str, str]]:
    return {(field, error.code) for field, errors in exc.error_dict.items() for error in errors}


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def draft(in_xinsheng, drg_catalogue):
    return actions.apply_preset("xinsheng-2022", None)


def table(policy) -> dict[str, int]:
    return dict(policy.subsidy_entries.values_list("drg_code", "amount_fen"))


def test_upload_csv_replaces_the_table(draft):
    content = "DRG编码,DRG名称,补助金额（元）\nES31,呼吸系统感染/炎症，伴严重并发症或合并症,2600\nfm19,,8000.50\n".encode()

    actions.upload_subsidy_table(draft, "定额.csv", content, None)

    assert table(draft) == {"ES31": 2600_00, "FM19": 8000_50}
    assert "subsidy_table" not in type(draft).objects.get(pk=draft.pk).defaulted_fields


def test_upload_gbk_csv_from_excel(draft):
    content = "DRG编码,补助金额\r\nBR21,6000\r\n".encode("gbk")

    actions.upload_subsidy_table(draft, "table.CSV", content, None)

    assert table(draft) == {"BR21": 6000_00}


def test_upload_xlsx_replaces_the_table(draft):
    content = xlsx(
        [("DRG编码", "DRG名称", "补助金额（元）"), ("ES31", "肺炎", 2600), ("FM19", "支架", 8000.5)]
    )

    actions.upload_subsidy_table(draft, "定额.xlsx", content, None)

    assert table(draft) == {"ES31": 2600_00, "FM19": 8000_50}


def test_upload_with_bad_rows_writes_nothing_and_names_every_row(draft):
    before = table(draft)
    content = "DRG编码,DRG名称,补助金额（元）\nES31,,2600\n,,100\nES31,,300\nFM19,,abc\nX1,,-5\n".encode()

    with pytest.raises(ValidationError) as raised:
        actions.upload_subsidy_table(draft, "bad.csv", content, None)

    found = codes(raised.value)
    assert ("file.row[3].drg_code", "invalid_row") in found
    assert ("file.row[4].drg_code", "duplicate") in found
    assert ("file.row[5].amount", "invalid_amount") in found
    assert ("file.row[6].drg_code", "invalid_row") in found
    assert ("file.row[6].amount", "invalid_amount") in found
    assert "第 5 行" in " ".join(raised.value.messages)
    assert table(draft) == before


def test_upload_of_a_wrong_file_type_is_a_typed_error(draft):
    before = table(draft)
    for filename, content in (
        ("定额.pdf", b"%PDF-1.4"),
        ("定额.xlsx", b"DRG,amount\n"),
        ("定额.csv", xlsx([("a",)])),
    ):
        with pytest.raises(ValidationError) as raised:
            actions.upload_subsidy_table(draft, filename, content, None)
        assert ("file", "invalid_file_type") in codes(raised.value)
    assert table(draft) == before


def test_upload_without_the_needed_columns_is_refused(draft):
    with pytest.raises(ValidationError) as raised:
        actions.upload_subsidy_table(draft, "x.csv", "病种,钱\nES31,10\n".encode(), None)

    assert ("file.row[1].header", "invalid_row") in codes(raised.value)


def test_downloads_read_back_to_the_same_table(draft):
    rows = draft.subsidy_rows()

    assert tables.parse_file("t.csv", tables.export_csv(rows)) == list(rows)
    assert tables.parse_file("t.xlsx", tables.export_xlsx(rows)) == list(rows)
    assert tables.export_csv(rows).startswith("\ufeffDRG编码,DRG名称,补助金额（元）".encode())


def test_scale_rounds_to_whole_yuan_and_clamps_to_minimum_and_maximum():
    rows = [
        SubsidyRow("A", 1234_00),
        SubsidyRow("B", 300_00),
        SubsidyRow("C", 48000_00),
        SubsidyRow("D", 1001_00),
    ]

    scaled = tables.scale_rows(rows, Decimal("1.05"), 300_00, 50000_00)
    assert [r.amount_fen for r in scaled] == [1296_00, 315_00, 50000_00, 1051_00]  # 1295.7→1296, 1051.05→1051

    shrunk = tables.scale_rows(rows, Decimal("0.5"), 300_00, 50000_00)
    assert [r.amount_fen for r in shrunk] == [617_00, 300_00, 24000_00, 501_00]  # 150 clamped up; 500.5→501


def test_scale_action_changes_the_draft_only(draft):
    actions.scale_subsidy_table(draft, Decimal("2"), None)

    assert table(draft)["AB19"] == 50000_00  # clamped at the maximum
    assert table(draft)["OR19"] == 600_00


def test_scale_factor_must_be_a_sensible_decimal():
    for bad in ("0", "-1", "abc", "1000", "NaN"):
        with pytest.raises(ValidationError):
            tables.parse_factor(bad)
    assert tables.parse_factor("1.1") == Decimal("1.1")


def test_copy_from_last_years_published_version(in_xinsheng, drg_catalogue):
    last_year = actions.apply_preset("xinsheng-2022", None, publish=True)
    draft = actions.create_draft(2023, None)

    actions.copy_subsidy_table_from_previous_year(draft, None)

    assert table(draft) == table(last_year)
    draft.refresh_from_db()
    assert draft.drg_catalogue_version == "chs-drg-1.1"
    assert "subsidy_table" in draft.defaulted_fields  # still the preset's default table


def test_copy_without_a_previous_year_is_a_typed_error(draft):
    before = table(draft)

    with pytest.raises(ValidationError) as raised:
        actions.copy_subsidy_table_from_previous_year(draft, None)
    assert ("subsidy_table", "no_previous_table") in codes(raised.value)
    assert table(draft) == before


def test_tools_work_on_drafts_only(xinsheng_policy):
    before = table(xinsheng_policy)
    content = "DRG编码,补助金额\nES31,2600\n".encode()

    with pytest.raises(ValidationError):
        actions.upload_subsidy_table(xinsheng_policy, "t.csv", content, None)
    with pytest.raises(ValidationError):
        actions.copy_subsidy_table_from_previous_year(xinsheng_policy, None)
    assert table(xinsheng_policy) == before
    assert SchemeYear.objects.count() == 1


def test_cost_preview_is_amount_times_expected_admissions():
    rows = [SubsidyRow("ES31", 2500_00), SubsidyRow("FM19", 8000_00)]

    preview = tables.preview_cost(
        rows, 10_000, {"ES31": Decimal("3"), "FM19": Decimal("0.5"), "ZZ19": Decimal("1")}
    )

    # ES31: 30 stays × 2,500 = 75,000; FM19: 5 × 8,000 = 40,000; ZZ19 not in the table: 0
    assert preview.total_fen == 115_000_00
    assert preview.expected_admissions == Decimal("45")
    assert preview.per_person_fen == 11_50
    assert preview.unlisted_codes == ("ZZ19",)


def test_cost_preview_prices_unlisted_groups_at_the_minimum_when_the_rule_says_so():
    preview = tables.preview_cost([], 1000, {"ZZ19": Decimal("2")}, unlisted_amount_fen=300_00)

    assert preview.total_fen == 600_00


def test_cost_preview_rounds_to_the_fen():
    preview = tables.preview_cost([SubsidyRow("ES31", 333_33)], 7, {"ES31": Decimal("1")})

    assert preview.total_fen == 233  # 0.007 stays × 333.33 yuan = 2.33331 yuan


def test_downloads_never_carry_spreadsheet_formulas():
    rows = [SubsidyRow("ES31", 2500_00, '=HYPERLINK("http://x")')]

    assert b"'=HYPERLINK" in tables.export_csv(rows)
    (back,) = tables.parse_file("t.xlsx", tables.export_xlsx(rows))
    assert back.drg_name == '\'=HYPERLINK("http://x")'
