"""One-click design (一键设计) in a real browser: the town admin designs the year's table from the town's own data,
simulates it and sees the run-dry probability, creates the draft and sees the outcome beside the publish button;
nothing is requested beyond localhost."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.e2e.conftest import outside_requests, requested_urls, screenshot, sign_in
from tests.e2e.test_console import click_and_load, wait_for

pytestmark = pytest.mark.browser


def _paid_participants_and_funds(town) -> None:
    """300 paid participants of mixed ages and 30,000 yuan of grants received in 2022."""
    from mutualaid.enrolment.models import Village
    from mutualaid.funds import actions as funds
    from tests.policies.test_design_inputs import _enrol

    connection.set_tenant(town)
    village = Village.objects.get()
    births = [date(1950, 5, 1), date(1975, 3, 1), date(1990, 7, 1), date(2015, 1, 1), date(1940, 2, 1)]
    for number in range(100):
        people = [("M" if (number + i) % 2 else "F", births[(number + i) % 5]) for i in range(3)]
        _enrol(village, 700 + number, people, paid=True)
    funds.record_grant(
        2022,
        source="government_grant",
        amount_fen=30_000 * 100,
        grantor="潼南区",
        received_on=date(2022, 10, 15),
        actor=None,
    )
    connection.set_schema_to_public()


def test_the_admin_designs_and_sees_the_run_dry_probability(browser, live_server, e2e_town):
    _paid_participants_and_funds(e2e_town.town)
    town = live_server.url + e2e_town.prefix
    sign_in(browser, town, "e2e_admin")
    wait_for(browser, "#glance")
    # the design page from the menu: the inputs read from the town's own data, and the designed table
    browser.find_element(By.CSS_SELECTOR, 'nav.menu a[data-key="design"]').click()
    wait_for(browser, "#design-lines")
    assert browser.find_element(By.ID, "participants").text == "300"
    assert "参考表" in browser.find_element(By.ID, "rate-source").text
    # a 5% reserve, simulated
    reserve = browser.find_element(By.NAME, "reserve_percent")
    reserve.clear()
    reserve.send_keys("5")
    Select(browser.find_element(By.NAME, "runs")).select_by_value("1000")
    click_and_load(browser, browser.find_element(By.ID, "design-simulate"))
    probability = wait_for(browser, "#run-dry-probability").text
    assert probability.endswith("%") and 0 <= float(probability[:-1]) <= 100
    wait_for(browser, "#chart-run-dry svg")
    wait_for(browser, "#chart-payout svg")
    screenshot(browser, "design")
    browser.execute_script("document.getElementById('solvency-result').scrollIntoView()")
    screenshot(browser, "design-simulation")
    # the design becomes a draft: its editor, with no simulation yet beside the publish button
    click_and_load(browser, browser.find_element(By.ID, "design-save"))
    wait_for(browser, "#solvency-none")
    assert browser.find_elements(By.ID, "publish")
    # the draft's own table simulated; the outcome then stands beside the publish button
    click_and_load(browser, browser.find_element(By.ID, "solvency-link"))
    Select(browser.find_element(By.NAME, "runs")).select_by_value("1000")
    click_and_load(browser, browser.find_element(By.ID, "solvency-run"))
    assert wait_for(browser, "#run-dry-probability").text.endswith("%")
    screenshot(browser, "design-solvency")
    browser.find_element(By.LINK_TEXT, "← 返回政策").click()
    assert wait_for(browser, "#summary-run-dry-probability").text.endswith("%")
    assert outside_requests(requested_urls(browser)) == []
