"""Roster import: templates, validation of every row, error report, idempotent re-import, corrections, file types."""

import csv
import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from mutualaid.enrolment import actions, roster
from mutualaid.enrolment.models import Household, ImportJob, Member
from mutualaid.platform import crypto, idnumbers

HEADER = [
    "户号",
    "村代码",
    "姓名",
    "身份证号",
    "与户主关系",
    "手机号",
    "基本医保类型",
    "困难类别",
    "户籍登记日期",
]


def _id(n: int) -> str:
    return idnumbers.make("500223", date(1960 + n % 40, 1 + n % 12, 1 + n % 28), n)  # born before 2001-05-06


def _rows(village: str, households: int = 3, size: int = 3) -> list[list]:
    rows = []
    for h in range(households):
        for m in range(size):
            n = h * size + m
            rows.append(
                [
                    f"X{h:04d}",
                    village,
                    f"王{n}",
                    _id(n),
                    "户主" if m == 0 else "子女",
                    f"1391234{n:04d}",
                    "城乡居民医保",
                    "低保" if n == 4 else "",
                    "2001-05-06",
                ]
            )
    return rows


def _csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _run(name: str, content: bytes, village_code=None) -> ImportJob:
    job = actions.submit_roster_import(name, content, village_code=village_code, actor=None, enqueue=False)
    return roster.run_job(job)


@pytest.fixture
def village(in_xinsheng, build):
    return build.village("500152116201", "天池村")


def test_templates_have_every_column_in_csv_and_xlsx():
    text = roster.template("csv").decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text)))[: len(HEADER)] == HEADER
    sheet = load_workbook(io.BytesIO(roster.template("xlsx"))).active
    assert [c.value for c in sheet[1]][: len(HEADER)] == HEADER


def test_csv_import_creates_households_and_members_encrypted(village):
    job = _run("天池村.csv", _csv(_rows(village.code)))
    assert (job.status, job.rows_total, job.rows_done, job.created_count, job.error_count) == (
        "done",
        9,
        9,
        9,
        0,
    )
    assert job.households_created == 3
    member = Member.objects.get(name="王4")
    assert member.hardship_categories == ["dibao"]
    assert crypto.decrypt(member.id_number_encrypted) == _id(4)
    assert member.id_masked == idnumbers.mask(_id(4)) and member.phone_masked == "139****0004"
    assert member.id_hash == crypto.lookup_hash(_id(4))
    assert _id(4) not in Member.objects.filter(pk=member.pk).values_list("id_number_encrypted", flat=True)[0]
    assert Household.objects.get(number="X0001").head.name == "王3"


def test_reimporting_the_same_file_changes_nothing(village):
    content = _csv(_rows(village.code))
    _run("a.csv", content)
    before = list(
        Member.objects.order_by("id").values_list(
            "id", "updated_at", "id_number_encrypted", "phone_encrypted"
        )
    )
    job = _run("a.csv", content)
    assert (job.created_count, job.updated_count, job.unchanged_count, job.households_created) == (0, 0, 9, 0)
    assert (
        list(
            Member.objects.order_by("id").values_list(
                "id", "updated_at", "id_number_encrypted", "phone_encrypted"
            )
        )
        == before
    )


def test_import_with_bad_rows_gives_an_error_report_then_the_corrected_file_adds_them(village):
    rows = _rows(village.code)
    rows[1][3] = rows[1][3][:17] + ("0" if rows[1][3][17] != "0" else "1")  # wrong check digit
    rows[2][6] = "商业保险"  # unknown insurance type
    rows[4][3] = rows[3][3]  # duplicate ID number within the file
    rows[5][1] = "500152116999"  # no such village
    job = _run("天池村.xlsx", _xlsx(rows))
    assert (job.created_count, job.error_count) == (5, 4)

    lines = [tuple(row) for row in roster.read_error_report(job)]  # stored encrypted
    assert lines[0][: len(HEADER)] == tuple(HEADER) and lines[0][len(HEADER)] == roster.ERROR_HEADER
    errors = {line[-1]: line[len(HEADER)] for line in lines[1:]}
    assert set(errors) == {3, 4, 6, 7}
    assert (
        "校验位" in errors[3]
        and "基本医保类型" in errors[4]
        and "重复" in errors[6]
        and "不是本镇的村" in errors[7]
    )

    fixed = _rows(village.code)
    fixed[0][5] = "13800000000"  # and a changed phone number for an existing member
    job = _run("天池村-改.xlsx", _xlsx(fixed))
    assert (job.created_count, job.updated_count, job.unchanged_count, job.error_count) == (4, 1, 4, 0)
    assert crypto.decrypt(Member.objects.get(name="王0").phone_encrypted) == "13800000000"
    assert Member.objects.count() == 9


def test_wrong_file_types_are_refused_with_a_typed_error(village):
    for name, content in (
        ("roster.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100),
        ("roster.pdf", b"%PDF-1.4"),
        ("roster.xlsx", b"not a zip"),
        ("roster.csv", b"PK\x03\x04zip"),
    ):
        with pytest.raises(ValidationError) as exc:
            actions.submit_roster_import(name, content, actor=None, enqueue=False)
        assert exc.value.error_dict["file"][0].code == "unsupported_file_type", name
    with pytest.raises(ValidationError) as exc:
        actions.submit_roster_import(
            "a.csv", _csv([], header=["姓名", "身份证号"]), actor=None, enqueue=False
        )
    assert exc.value.error_dict["file"][0].code == "missing_columns"
    assert not ImportJob.objects.exists()


def test_gbk_csv_from_excel_is_read(village):
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *_rows(village.code, 1, 2)])
    job = _run("gbk.csv", out.getvalue().encode("gbk"))
    assert (job.created_count, job.error_count) == (2, 0)


def test_a_coordinators_import_is_limited_to_their_village(village, build):
    other = build.village("500152116202", "龙门村")
    rows = [
        *_rows(village.code, 1, 2),
        ["Y1", other.code, "赵一", _id(99), "户主", "", "无", "", "2001-01-01"],
    ]
    job = _run("a.csv", _csv(rows), village_code=village.code)
    assert (job.created_count, job.error_count) == (2, 1)
    assert not Member.objects.filter(name="赵一").exists()


def test_members_without_a_phone_number_are_imported(village):
    rows = _rows(village.code, 1, 2)
    rows[1][5] = ""
    job = _run("a.csv", _csv(rows))
    assert (job.created_count, job.error_count) == (2, 0)
    member = Member.objects.get(name="王1")
    assert (member.phone_encrypted, member.phone_hash, member.phone_masked) == ("", "", "")


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 6, 7, 64])
def test_row_tags_are_counted_across_chunk_boundaries(chunk_size):
    xml = b'<sheetData><row r="1"><c/></row><row>' + b'<row r="3"/>' * 5 + b"<rowBreaks/></sheetData><row "
    assert roster.count_row_tags(io.BytesIO(xml), chunk_size) == 8


def _written_only(rows, tmp_path, relative_target: bool):
    """A workbook as openpyxl's write-only mode saves it (no <dimension>), with a second sheet after the roster,
    and its relations written absolute (openpyxl) or relative to xl/ (Excel)."""
    workbook = Workbook(write_only=True)
    first, second = workbook.create_sheet("花名册"), workbook.create_sheet("说明")
    first.append(HEADER)
    for row in rows:
        first.append(row)
    second.append(["填写说明"])
    plain = tmp_path / "plain.xlsx"
    workbook.save(plain)
    path = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if relative_target and item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'Target="/xl/', b'Target="')
            target.writestr(item, data)
    return str(path)


@pytest.mark.parametrize("relative_target", [False, True])
def test_an_xlsx_without_dimensions_counts_its_first_sheets_rows(tmp_path, relative_target):
    path = _written_only(_rows("500152116201", 7, 1), tmp_path, relative_target)
    assert "dimension" not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert roster.Sheet(path, "xlsx").count_rows() == 7
