"""mutualaid policies design | simulate: the town's design and simulation on the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mutualaid.policies.models import PolicyVersion
from tests.policies.test_design_inputs import town_data  # noqa: F401 (fixture)


def test_design_prints_the_inputs_the_table_and_the_run_dry_probability(town_data, xinsheng):  # noqa: F811
    out = StringIO()
    call_command("policies", "design", "--town", xinsheng.code, "--year", "2022", "--runs", "300", stdout=out)
    text = out.getvalue()
    assert "已缴费参加人员 300 人" in text
    assert "可用于补助" in text and "资金用完的概率" in text
    connection.set_tenant(xinsheng)
    assert PolicyVersion.objects.count() == 1  # nothing saved without --save


def test_design_save_keeps_a_draft_and_simulate_reads_it(town_data, xinsheng):  # noqa: F811
    out = StringIO()
    call_command(
        "policies", "design", "--town", xinsheng.code, "--year", "2022", "--runs", "100", "--save", stdout=out
    )
    assert "已保存为第 2 版草稿" in out.getvalue()
    out = StringIO()
    call_command(
        "policies", "simulate", "--town", xinsheng.code, "--year", "2022", "--runs", "100", stdout=out
    )
    assert "第 2 版" in out.getvalue()


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["--reserve", "10000"], "预留比例"),
        (["--year", "2031"], "还没有政策"),
        (["--source", "city", "--city", "火星"], "权重表"),
    ],
)
def test_bad_input_is_a_plain_error(town_data, xinsheng, arguments, message):  # noqa: F811
    base = ["policies", "design", "--town", xinsheng.code, "--year", "2022", "--runs", "10"]
    with pytest.raises(CommandError, match=message):
        call_command(*base, *arguments, stdout=StringIO())
