"""The console in a real browser: each role signs in and does the main thing of its pages, in Chinese, with no
request leaving localhost; a form error is shown in Chinese next to its field; the phone layout at 360 px."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.conftest import MEMBER_PHONE, outside_requests, requested_urls, screenshot, sign_in

pytestmark = pytest.mark.browser


def click_and_load(driver, element) -> None:
    """Click what submits a form or follows a link, and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_):
        try:
            page.is_enabled()
        except WebDriverException:  # stale, or already gone from the inspector
            return True
        return False

    WebDriverWait(driver, 20).until(replaced)


def wait_for(driver, css: str, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_town_admin_runs_the_year_in_chinese_with_nothing_from_outside(browser, live_server, e2e_town):
    town = live_server.url + e2e_town.prefix
    # a wrong password: the refusal in Chinese
    sign_in(browser, town, "e2e_admin", password="wrong-password")
    assert "用户名或密码不正确" in browser.find_element(By.CSS_SELECTOR, ".errors").text
    # the admin signs in and lands on the town's home page with both charts drawn by ECharts
    sign_in(browser, town, "e2e_admin", path="/login/")
    wait_for(browser, "#glance")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans"
    assert "参加人数" in browser.page_source
    wait_for(browser, "#chart-villages svg")
    screenshot(browser, "town-home")
    # the policy: the published 2022 version with its subsidy table
    browser.find_element(By.CSS_SELECTOR, 'nav.menu a[data-key="policies"]').click()
    browser.find_element(By.CSS_SELECTOR, "#policy-list a").click()
    assert browser.find_elements(By.CSS_SELECTOR, "#subsidy-table tbody tr")
    screenshot(browser, "policy")
    # a draft for 2023: a malformed fee is refused next to its field, in Chinese
    browser.get(town + "/console/policies/")
    browser.find_element(By.NAME, "scheme_year").send_keys("2023")
    Select(browser.find_element(By.NAME, "start")).select_by_value("blank")
    browser.find_element(By.CSS_SELECTOR, "#draft-form button").click()
    fee = browser.find_element(By.NAME, "fee_per_person_fen")
    fee.clear()
    fee.send_keys("四十五")
    browser.find_element(By.CSS_SELECTOR, "#policy-form button[type=submit]").click()
    error = wait_for(browser, '#field-fee_per_person_fen .error[data-field="fee_per_person_fen"]')
    assert "金额格式不正确" in error.text
    # publishing an incomplete draft: the missing parameters are named next to their fields
    click_and_load(browser, browser.find_element(By.ID, "publish"))
    assert browser.find_elements(By.CSS_SELECTOR, "#policy-form .error")
    screenshot(browser, "policy-errors")
    # villages and households: the search answers as one types (htmx), the household shows its enrolment
    browser.get(town + "/console/villages/")
    browser.find_element(By.NAME, "q").send_keys("王大山")
    wait_for(browser, "#households a").click()
    assert "2022 互助年度" in wait_for(browser, "#enrolment-2022").text
    screenshot(browser, "household")
    # the ledger's trial balance balances
    browser.get(town + "/console/ledger/")
    assert browser.find_element(By.ID, "total-debit").text == browser.find_element(By.ID, "total-credit").text
    screenshot(browser, "ledger")
    # roster import page
    browser.get(town + "/console/roster/")
    assert browser.find_element(By.ID, "roster-form")
    # nothing was loaded from outside localhost
    assert outside_requests(requested_urls(browser)) == []


def test_reviewer_approves_from_the_queue_with_the_photos_beside_the_decision(browser, live_server, e2e_town):
    sign_in(browser, live_server.url, "e2e_reviewer")
    wait_for(browser, "#queue")
    screenshot(browser, "review-queue")
    browser.find_element(By.CSS_SELECTOR, f'#queue a[href$="/claims/{e2e_town.claim.pk}/"]').click()
    assert wait_for(browser, "#documents img").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#reasons li")
    click_and_load(browser, browser.find_element(By.ID, "start-review"))
    assert "审核中" in wait_for(browser, "#claim-state").text
    screenshot(browser, "claim-review")
    click_and_load(browser, browser.find_element(By.ID, "approve"))
    # no DRG group yet (no grouper tables here): the refusal in Chinese next to the field, then the reviewer's
    assert "DRG" in wait_for(browser, '#approve-form .error[data-field="drg_code"]').text
    browser.find_element(By.NAME, "drg_code").send_keys(e2e_town.drg_code)
    click_and_load(browser, browser.find_element(By.ID, "approve"))
    assert "审核通过" in wait_for(browser, "#claim-state").text
    assert outside_requests(requested_urls(browser)) == []


def test_coordinator_collects_a_fee_on_a_phone(browser, live_server, e2e_town):
    browser.set_window_size(360, 740)
    town = live_server.url + e2e_town.prefix
    sign_in(browser, town, "e2e_coordinator")
    wait_for(browser, "nav.menu")
    browser.get(f"{town}/console/households/{e2e_town.household.pk}/")
    wait_for(browser, ".pay-form")
    # the phone layout: nothing wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(browser, "phone-household")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, ".pay-form button[type=submit]"))
    # the receipt number is required: said in Chinese next to the field
    assert "必填" in wait_for(browser, '.pay-form .error[data-field="receipt_number"]').text
    browser.find_element(By.NAME, "receipt_number").send_keys("E2E-0001")
    received = browser.find_element(By.NAME, "received_on")  # within 2022's window (the fixture's year)
    browser.execute_script("arguments[0].value = '2022-10-15'", received)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, ".pay-form button[type=submit]"))
    assert "已交清" in wait_for(browser, "#enrolment-2022").text
    assert outside_requests(requested_urls(browser)) == []


def test_member_signs_in_by_sms_code_follows_the_claim_and_files_one(
    browser, live_server, e2e_town, tmp_path
):
    from mutualaid.platform.sms import RecordingSmsBackend
    from tests.claims.conftest import jpeg

    browser.set_window_size(360, 740)
    town = live_server.url + e2e_town.prefix
    browser.get(town + "/m/login/")
    wait_for(browser, 'input[name="phone"]', 20)
    browser.find_element(By.NAME, "phone").send_keys(MEMBER_PHONE)
    browser.find_element(By.CSS_SELECTOR, "#phone-form button").click()
    wait_for(browser, "#code-form")
    code = next(m.text for m in reversed(RecordingSmsBackend.outbox) if m.phone == MEMBER_PHONE).split(
        "验证码为 "
    )[1][:6]
    browser.find_element(By.NAME, "code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "#code-form button").click()
    assert "已提交" in wait_for(browser, "#member-claims").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(browser, "phone-member")
    # a second stay: the member files it on the phone and photographs the three documents
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "申请补助"))
    values = {
        "hospital_name": "潼南区人民医院", "hospital_level": "secondary", "admission_date": "2023-04-01",
        "discharge_date": "2023-04-05", "total_cost": "8000", "insurance_paid": "5000", "out_of_pocket": "3000",
        "diagnosis_codes": "C34.900", "bank_name": "农业银行", "bank_card": "6228480402564890018",
    }  # fmt: skip
    for name, value in values.items():
        field = browser.find_element(By.NAME, name)
        browser.execute_script("arguments[0].value = arguments[1]", field, value)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#claim-form button[type=submit]"))
    camera = wait_for(browser, '#document-form input[type=file][capture="environment"]')
    assert camera.get_attribute("accept").startswith("image/")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg((320, 240)))
    for kind in ("discharge_record", "cost_list", "insurance_statement"):
        Select(browser.find_element(By.NAME, "kind")).select_by_value(kind)
        browser.find_element(By.NAME, "file").send_keys(str(photo))
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#document-form button[type=submit]"))
    click_and_load(browser, browser.find_element(By.ID, "submit-claim"))
    assert "已提交" in wait_for(browser, "#claim-state").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(browser, "phone-claim")
    assert outside_requests(requested_urls(browser)) == []


def test_county_sees_towns_behind_target_first(browser, live_server, e2e_town):
    sign_in(browser, live_server.url, "e2e_county")
    wait_for(browser, "#towns")
    assert "浏览器测试镇" in browser.page_source
    wait_for(browser, "#chart-towns svg")
    screenshot(browser, "county")
    assert outside_requests(requested_urls(browser)) == []
