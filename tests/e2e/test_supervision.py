"""Supervision in a real browser: the town admin files its plan and second-quarter report; the county opens it from
its list, is told in Chinese that returning needs a comment, accepts it, computes the town's evaluation and reads
the town's trend charts with the run-dry probability beside fund health; nothing is requested beyond localhost."""

from __future__ import annotations

from datetime import date

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.conftest import outside_requests, requested_urls, screenshot, sign_in
from tests.e2e.test_console import click_and_load, wait_for

pytestmark = pytest.mark.browser


def _rollups(town) -> None:
    """The town's 2022 rollup, two month-end snapshots, and a run-dry probability above the warning line."""
    from mutualaid.reporting import refresh
    from mutualaid.reporting.models import RollupKind, TownRollup

    for month_end in (date(2022, 11, 30), date(2022, 12, 31)):
        refresh.refresh_town(town, as_of=month_end, kind=RollupKind.MONTHLY)
    refresh.refresh_town(town)
    TownRollup.objects.filter(town=town).update(
        run_dry_bp=1240, expected_carry_over_fen=5_000_00, solvency_policy_version=1
    )


def test_the_county_reviews_the_towns_report_and_reads_its_figures(browser, live_server, e2e_town):
    _rollups(e2e_town.town)
    town = live_server.url + e2e_town.prefix
    # the town admin files the year's plan, then the second quarter's report
    sign_in(browser, town, "e2e_admin")
    wait_for(browser, "#glance")
    browser.find_element(By.CSS_SELECTOR, 'nav.menu a[data-key="town-reports"]').click()
    click_and_load(browser, wait_for(browser, "#plan-form button"))
    browser.get(town + "/console/reports/?year=2022&quarter=2")
    wait_for(browser, "#report-form")
    browser.find_element(By.NAME, "summary").send_keys("已完成调研选村和部署会议")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]"))
    assert "已上报" in wait_for(browser, "#town-reports").text
    screenshot(browser, "town-report")
    # the county: the report waits in its list
    browser.delete_all_cookies()
    sign_in(browser, live_server.url, "e2e_county")
    browser.get(live_server.url + "/console/supervision/reports/?year=2022")
    assert "浏览器测试镇" in wait_for(browser, "#reports").text
    screenshot(browser, "county-reports")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#reports tbody a"))
    wait_for(browser, "#report-items")
    assert "已完成调研选村和部署会议" in browser.page_source
    # returning it without a comment: refused in Chinese next to the field
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, '#review-form button[value="return"]'))
    error = wait_for(browser, '#review-form .error[data-field="comment"]')
    assert "退回须填写意见" in error.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", error)
    screenshot(browser, "county-report-review")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, '#review-form button[value="accept"]'))
    assert "已通过" in wait_for(browser, "#report-state").text
    # the evaluation: computed from the rollup, targets and survey
    browser.get(live_server.url + f"/console/supervision/evaluations/{e2e_town.town.code}/2022/")
    click_and_load(browser, wait_for(browser, "#compute-form button"))
    assert wait_for(browser, "#evaluation-items tbody tr")
    screenshot(browser, "evaluation")
    # the town's trend charts beside its fund health; the run-dry probability in the warning colour
    browser.get(live_server.url + f"/console/supervision/towns/{e2e_town.town.code}/?year=2022")
    wait_for(browser, "#chart-share svg")
    assert "12.4%" in browser.find_element(By.ID, "run-dry").text
    assert browser.find_elements(By.CSS_SELECTOR, "#run-dry .big.bad")
    screenshot(browser, "town-trend")
    assert outside_requests(requested_urls(browser)) == []
