"""`mutualaid roster import --town CODE FILE` with a progress bar, and `roster template`."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mutualaid.enrolment.models import Member
from tests.enrolment.test_roster import _csv, _rows


def test_roster_import_command_imports_with_progress(xinsheng, in_town, build, tmp_path, capsys):
    in_town(xinsheng)
    village = build.village("500152116231", "双河村")
    path = tmp_path / "双河村.csv"
    path.write_bytes(_csv(_rows(village.code, households=2, size=3)))
    out = io.StringIO()
    call_command("roster", "import", "--town", xinsheng.code, str(path), stdout=out)
    assert "新增 6" in out.getvalue()
    assert "花名册导入" in capsys.readouterr().err  # the tqdm bar
    connection.set_tenant(xinsheng)
    assert Member.objects.filter(household__village=village).count() == 6


def test_roster_import_command_refuses_wrong_file_types(xinsheng, tmp_path):
    path = tmp_path / "roster.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 64)
    with pytest.raises(CommandError, match="xlsx"):
        call_command("roster", "import", "--town", xinsheng.code, str(path))


def test_roster_template_command_writes_the_template(tmp_path):
    out = tmp_path / "模板.xlsx"
    call_command("roster", "template", "--format", "xlsx", str(out), stdout=io.StringIO())
    assert out.read_bytes().startswith(b"PK")
