"""The public rules page of a town: no login, Chinese, generated from the published policy, no personal data."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection
from django.test import Client

from mutualaid.policies.models import PolicyVersion


def page(town, path="rules/", **extra) -> str:
    response = Client().get(f"/t/{town.code}/{path}", **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_rules_page_explains_the_xinsheng_rules_without_login(xinsheng_policy, xinsheng):
    html = page(xinsheng)

    assert "新胜镇乡村公益医疗互助规则" in html
    assert "2022年8月31日在册的户籍人员" in html
    assert "45 元" in html and "个人缴费" in html and "25 元" in html
    assert "低保对象：个人出资部分由镇财政全额补助" in html
    assert "2022年9月29日 至 2022年10月31日 24时" in html
    assert "2022年11月1日 至 2023年10月31日" in html
    assert "医保报销后个人支付金额 ≥ 3500 元" in html
    assert "单次住院总费用 ≥ 7000 元" in html
    assert "单次住院最低补助" in html and "300 元" in html and "50000 元" in html and "100000 元" in html
    assert "工伤住院" in html and "在国外和港澳台地区医院住院治疗" in html
    assert "出院记录、住院费用清单、医保报销单" in html
    assert "5 个工作日" in html and "发短信" in html and "每月初" in html
    assert "结转下年度" in html and "不低于 50%" in html
    assert "所交互助费不退回" in html


def test_rules_page_marks_values_the_document_does_not_give(dagong_policy, dagong):
    html = page(dagong)

    assert html.count("文件未规定") > 10
    assert "原则上<strong>不参加</strong>本互助" in html and "低保边缘等农村低收入人口" in html
    assert "行政村参与率目标：不低于 50%" in html and "试点村农户参与率目标：不低于 30%" in html


def test_rules_page_is_readable_on_a_phone_and_extends_the_site_layout(xinsheng_policy, xinsheng):
    html = page(xinsheng)

    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "@media" in html and '<html lang="zh-hans">' in html


def test_rules_page_by_town_host(xinsheng_policy, xinsheng):
    html = page(xinsheng, path="", HTTP_HOST=f"{xinsheng.domains.first().domain}")
    assert "互助规则" in html  # the town home links to rules/

    response = Client(HTTP_HOST=xinsheng.domains.first().domain).get("/rules/")
    assert response.status_code == 200 and "新胜镇乡村公益医疗互助规则" in response.content.decode()


def test_town_home_links_to_the_rules(xinsheng):
    assert 'href="rules/"' in page(xinsheng, path="")


def test_rules_page_before_any_published_policy(in_dagong, dagong):
    from mutualaid.policies import actions

    actions.create_draft(2024, None)
    html = page(dagong)

    assert "尚未发布互助规则" in html


def test_rules_page_shows_no_drafts_and_no_personal_data(xinsheng_policy, xinsheng):
    from datetime import date

    from mutualaid.policies import actions

    connection.set_tenant(xinsheng)
    actions.amend(xinsheng_policy, date(2023, 3, 1), "草稿中的修改", None)
    html = page(xinsheng)

    assert "草稿中的修改" not in html
    for private in ("身份证", "手机号", "admin"):
        assert private not in html


def test_cli_applies_and_publishes_a_preset_in_a_town(towns, drg_catalogue, capsys):
    call_command("policies", "preset", "xinsheng-2022", "--town", "500152116", "--publish")

    assert "新胜镇：2022互助年度 第1版（已发布，预设 xinsheng-2022）" in capsys.readouterr().out
    connection.set_tenant(towns["500152116"])
    try:
        assert PolicyVersion.objects.get().status == "published"
    finally:
        connection.set_schema_to_public()


def test_cli_auto_picks_the_towns_preset_as_a_draft(towns, drg_catalogue, capsys):
    call_command("policies", "preset", "auto", "--town", "320685109")

    assert "雅周镇：2022互助年度 第1版（草稿，预设 haian-2022）" in capsys.readouterr().out
