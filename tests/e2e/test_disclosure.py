"""The town admin publishes a month's disclosure (公示) in a real browser: the draft drafted from the ledger, its page
showing the public body, publish, the public links it then offers, and the audit log that records it — in Chinese,
nothing from outside."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction
from selenium.webdriver.common.by import By

from mutualaid.disclosure import actions
from mutualaid.disclosure.models import Disclosure
from mutualaid.funds import ledger
from mutualaid.funds.chart import BANK, income
from mutualaid.funds.models import EntryKind
from tests.e2e.conftest import outside_requests, requested_urls, screenshot, sign_in
from tests.e2e.test_console import click_and_load, wait_for

pytestmark = pytest.mark.browser


def test_town_admin_publishes_a_draft(browser, live_server, e2e_town):
    # given October 2022, with a government grant received, drafted from the ledger
    connection.set_tenant(e2e_town.town)
    with transaction.atomic():
        ledger.post(
            ledger.lock_year(2022),
            EntryKind.GRANT,
            [ledger.debit(BANK, 5_000_000), ledger.credit(income("government_grant"), 5_000_000)],
            entry_date=date(2022, 10, 15),
            actor=None,
            memo="镇政府拨款",
        )
    draft, _ = actions.generate_draft(date(2022, 10, 1), actor=None)
    connection.set_schema_to_public()
    town = live_server.url + e2e_town.prefix
    # the admin signs in and opens the disclosures from the menu
    sign_in(browser, town, "e2e_admin")
    wait_for(browser, "nav.menu")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, 'nav.menu a[data-key="disclosure"]'))
    row = wait_for(browser, '#disclosures tr[data-month="2022-10"]')
    assert "草稿（待发布）" in row.text
    click_and_load(browser, row.find_element(By.TAG_NAME, "a"))
    # the draft shows the public page's body, and that it reconciles with the ledger
    body = wait_for(browser, "#disclosure-body").text
    assert "资金总表" in body and "50000.00" in body
    assert "与资金台账核对一致" in browser.find_element(By.ID, "reconciled").text
    screenshot(browser, "disclosure-draft")
    # publishing it: the state, the objection period and the public links
    click_and_load(browser, browser.find_element(By.ID, "publish"))
    assert "已公示" in wait_for(browser, "#disclosure-state").text
    assert (
        browser.find_element(By.ID, "public-page")
        .get_attribute("href")
        .endswith("/disclosure/2022-10/?rev=1")
    )
    assert browser.find_element(By.ID, "export-csv")
    screenshot(browser, "disclosure")
    # the public page it links to
    click_and_load(browser, browser.find_element(By.ID, "public-page"))
    assert "2022年10月互助资金公示" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans"
    # the audit log shows who published it
    browser.get(town + "/console/audit/")
    browser.find_element(By.NAME, "action").send_keys("disclosure.")
    click_and_load(browser, browser.find_element(By.ID, "search"))
    events = wait_for(browser, "#audit-events").text
    assert "disclosure.published" in events and "e2e_admin" in events
    screenshot(browser, "audit-log")
    assert outside_requests(requested_urls(browser)) == []
    connection.set_tenant(e2e_town.town)
    draft.refresh_from_db()
    assert draft.is_published and Disclosure.objects.filter(month=date(2022, 10, 1)).count() == 1
    connection.set_schema_to_public()
