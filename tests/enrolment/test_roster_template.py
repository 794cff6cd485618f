"""The roster template (issue 14 item 11): its format follows the file's extension, and its example row belongs to the
town it is for (or is neutral), never to 新胜镇 whatever the town."""

import base64
import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from mutualaid.enrolment import roster
from mutualaid.platform import idnumbers
from tests.factories import graphql, make_user


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _example(path) -> dict[str, str]:
    data = path.read_bytes()
    if data.startswith(b"PK"):
        rows = [
            [c or "" for c in row]
            for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
        ]
    else:
        rows = _csv_rows(data)
    header, example = rows
    return dict(zip(header, example, strict=True))


@pytest.mark.parametrize(("name", "expected"), [("out.csv", "csv"), ("out.CSV", "csv"), ("out.xlsx", "xlsx")])
def test_the_template_command_follows_the_file_extension(tmp_path, name, expected):
    out = tmp_path / name
    call_command("roster", "template", str(out), stdout=io.StringIO())
    assert out.read_bytes().startswith(b"PK") == (expected == "xlsx")


def test_an_explicit_format_wins_and_an_unknown_extension_gets_xlsx(tmp_path):
    forced = tmp_path / "名单.txt"
    call_command("roster", "template", "--format", "csv", str(forced), stdout=io.StringIO())
    assert not forced.read_bytes().startswith(b"PK")
    other = tmp_path / "名单"
    call_command("roster", "template", str(other), stdout=io.StringIO())
    assert other.read_bytes().startswith(b"PK")


def test_without_a_town_the_example_row_is_neutral(tmp_path):
    out = tmp_path / "out.csv"
    call_command("roster", "template", str(out), stdout=io.StringIO())
    example = _example(out)
    assert "新胜镇" not in "".join(example.values())
    assert "500152" not in "".join(example.values())
    assert example["姓名"] == "张三"


def test_with_a_town_the_example_row_is_that_towns(dagong, in_town, build, tmp_path):
    in_town(dagong)
    build.village("320685107201", "贲庄村")
    out = tmp_path / "out.xlsx"
    call_command("roster", "template", "--town", dagong.code, str(out), stdout=io.StringIO())
    example = _example(out)
    assert example["村代码"] == "320685107201"
    assert example["户号"].startswith("320685107201-")
    assert example["住址"] == "大公镇贲庄村1组"
    assert example["身份证号"].startswith("320685") and idnumbers.is_valid(example["身份证号"])
    assert "新胜镇" not in "".join(str(v) for v in example.values())


def test_the_template_of_a_town_without_villages_uses_its_code(yazhou, tmp_path):
    values = dict(
        zip(
            [c.header for c in roster.COLUMNS],
            roster.formats.example_row(yazhou.code, yazhou.name),
            strict=True,
        )
    )
    assert values["村代码"] == f"{yazhou.code}201" and values["住址"].startswith("雅周镇")


@pytest.mark.django_db
def test_an_unknown_town_is_refused(tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        call_command("roster", "template", "--town", "999999999", str(tmp_path / "x.csv"))


def test_the_api_template_is_the_current_towns(dagong, in_town, build):
    in_town(dagong)
    build.village("320685107201", "贲庄村")
    admin = make_user("town_admin", town=dagong)
    result = graphql(admin, "{ rosterTemplate(format: CSV) { fileName contentBase64 } }", town=dagong)[
        "data"
    ]["rosterTemplate"]
    header, example = _csv_rows(base64.b64decode(result["contentBase64"]))
    values = dict(zip(header, example, strict=True))
    assert values["村代码"] == "320685107201" and values["住址"] == "大公镇贲庄村1组"
