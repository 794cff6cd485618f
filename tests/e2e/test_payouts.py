"""Payouts in a real browser: the town admin prepares the month's batch, town finance approves it (the admin could
not), the village coordinator sees it pending on a 360-px phone; in Chinese, nothing loaded from outside localhost."""

from __future__ import annotations

import pytest
from django.db import connection
from selenium.webdriver.common.by import By

from tests.e2e.conftest import outside_requests, requested_urls, screenshot, sign_in
from tests.e2e.test_console import click_and_load, wait_for

pytestmark = pytest.mark.browser


def test_finance_approves_the_batch_the_admin_prepared(browser, live_server, e2e_town):
    from mutualaid.payouts.models import BatchState, PayoutBatch
    from tests.payouts.conftest import approved_claim

    connection.set_tenant(e2e_town.town)
    approved_claim(e2e_town.member, 480_000)  # approved in March 2023, waiting for a payout
    connection.set_schema_to_public()
    town = live_server.url + e2e_town.prefix
    # the admin prepares this month's batch from the 补助发放 page
    sign_in(browser, town, "e2e_admin")
    wait_for(browser, "nav.menu")
    browser.find_element(By.CSS_SELECTOR, 'nav.menu a[data-key="payouts"]').click()
    click_and_load(browser, wait_for(browser, "#prepare"))
    assert "已编制（待财务审批）" in wait_for(browser, "#batch-state").text
    assert "王*山" in browser.find_element(By.ID, "lines").text
    assert not browser.find_elements(By.ID, "approve")  # the town admin does not approve
    screenshot(browser, "payout-batch")
    click_and_load(browser, browser.find_element(By.ID, "logout"))
    # town finance opens it from the list and approves it
    sign_in(browser, town, "e2e_finance")
    wait_for(browser, "nav.menu")
    browser.get(town + "/console/payouts/")
    click_and_load(browser, wait_for(browser, "#batches a"))
    assert wait_for(browser, "#printouts a").get_attribute("href").endswith("/detail.pdf")
    click_and_load(browser, browser.find_element(By.ID, "approve"))
    assert "已审批（待导出银行文件）" in wait_for(browser, "#batch-state").text
    assert "批次已审批" in browser.find_element(By.CSS_SELECTOR, ".notices").text
    assert browser.find_element(By.ID, "export-form")
    screenshot(browser, "payout-approved")
    click_and_load(browser, browser.find_element(By.ID, "logout"))
    # the village coordinator follows the village's subsidies on a phone: pending in this month's batch
    browser.set_window_size(360, 740)
    sign_in(browser, town, "e2e_coordinator")
    wait_for(browser, "nav.menu")
    browser.find_element(By.CSS_SELECTOR, 'nav.menu a[data-key="village-payouts"]').click()
    item = wait_for(browser, '#village-payouts li[data-status="pending"]')
    assert "王大山" in item.text and "4,800.00" in item.text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(browser, "phone-village-payouts")
    assert outside_requests(requested_urls(browser)) == []
    connection.set_tenant(e2e_town.town)
    batch = PayoutBatch.objects.get()
    assert batch.state == BatchState.APPROVED and batch.prepared_by_username == "e2e_admin"
    assert batch.approved_by_username == "e2e_finance"
    connection.set_schema_to_public()
