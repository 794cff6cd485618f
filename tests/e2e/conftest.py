"""Browser tests: headless Chromium (Debian's chromium + chromium-driver, installed by .ci/run) driven by Selenium
against pytest-django's live server, with a town of their own (a schema cloned from the template, dropped after).

Skipped with a clear message only when no browser is installed. ``MUTUALAID_SCREENSHOTS=<dir>`` saves the main pages
as PNG files (``python scripts/screenshots.py`` regenerates docs/screenshots/ that way)."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.utils import timezone

from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture

SCHEMA = "web_e2e_test"
TOWN_CODE = "500152197"
VILLAGE = f"{TOWN_CODE}201"
PASSWORD = "browser-pass-2022"
MEMBER_PHONE = "13900006666"
LOCAL_HOSTS = {"localhost", "127.0.0.1", ""}

pytestmark = pytest.mark.browser


def _browser_paths() -> tuple[str, str] | None:
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (chrome, driver) if chrome and driver else None


@pytest.fixture(scope="session")
def browser_paths():
    paths = _browser_paths()
    if paths is None:
        pytest.skip(
            "未安装 chromium 与 chromium-driver（.ci/run 以 root 运行时会用 apt 安装）：跳过浏览器测试"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("未安装 selenium（pip install -e '.[dev]'）：跳过浏览器测试")
    return paths


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def browser(browser_paths, request):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome, driver_path = browser_paths
    profile = tempfile.mkdtemp(prefix="mutualaid-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--lang=en-US",  # the pages must still be Chinese: only the language switch chooses English
        "--window-size=1366,768",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(20)  # a busy CI machine: pages may take seconds
    yield driver
    if getattr(request.node, "browser_failed", False):  # what the browser showed, for the failure's report
        print("\n--- browser at", driver.current_url, "---\n", driver.page_source[:3000])
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver) -> list[str]:
    """Every URL the browser asked for since the last call (the performance log's Network events)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def outside_requests(urls: list[str]) -> list[str]:
    """The requests that went over the network to anywhere but this machine (chrome:// pages, data: and blob: URLs
    never leave the browser)."""
    network = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss", "ftp")]
    return [u for u in network if urlparse(u).hostname not in LOCAL_HOSTS]


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("MUTUALAID_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


@pytest.fixture
def e2e_town(transactional_db, drg_catalogue, media):  # noqa: F811
    """A town of its own with the 新胜镇 2022 policy published, a village, an enrolled household whose member has a
    phone, one user per role, and a submitted claim with its documents."""
    from django_tenants.clone import CloneSchema

    from mutualaid.claims import application as claim_application
    from mutualaid.claims import selectors
    from mutualaid.drg.models import IcdCode
    from mutualaid.enrolment.actions import enrol_households, seal_id_number, seal_phone
    from mutualaid.enrolment.models import Household, Member, Village
    from mutualaid.platform import crypto, idnumbers
    from mutualaid.platform.accounts.models import RoleAssignment, User
    from mutualaid.platform.accounts.roles import Role
    from mutualaid.policies.actions import apply_preset
    from mutualaid.policies.selectors import enrolment_terms
    from mutualaid.tenants.migration import template_schema
    from mutualaid.tenants.models import Domain, ServiceFirm, Town, TownStatus
    from tests.claims.conftest import PDF, SHANGHAI, jpeg, stay_data
    from tests.conftest import ensure_towns

    county = ensure_towns()["500152116"].county
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    CloneSchema().clone_schema(template_schema(), SCHEMA, "DATA")
    town = Town.objects.create(
        code=TOWN_CODE,
        name="浏览器测试镇",
        slug="webe2e",
        schema_name=SCHEMA,
        county=county,
        status=TownStatus.ACTIVE,
    )
    Domain.objects.create(tenant=town, domain="webe2e.localhost", is_primary=True)
    firm, _ = ServiceFirm.objects.get_or_create(name="浏览器测试服务机构")
    firm.towns.add(town)
    connection.set_tenant(town)
    for kind, code in (("diagnosis", "C34.900"), ("procedure", "32.4100")):
        IcdCode.objects.get_or_create(edition="医保版2.0", kind=kind, code=code, defaults={"name": code})
    policy = apply_preset("xinsheng-2022", None, publish=True)
    drg_code = policy.subsidy_entries.order_by("drg_code").values_list("drg_code", flat=True).first()
    village = Village.objects.create(code=VILLAGE, name="石盘村", joined=True)
    household = Household.objects.create(number="E2E0001", village=village, address="石盘村一组")
    encrypted, id_hash, masked = seal_id_number(idnumbers.make("500223", date(1970, 1, 1), 5))
    phone = seal_phone(MEMBER_PHONE)
    member = Member.objects.create(
        household=household, name="王大山", id_number_encrypted=encrypted, id_hash=id_hash, id_masked=masked,
        sex="M", birth_date=date(1970, 1, 1), relation="head", phone_encrypted=phone[0], phone_hash=phone[1],
        phone_masked=phone[2], insurance_type="resident", registered_on=date(2000, 1, 1),
    )  # fmt: skip
    household.head = member
    household.save(update_fields=["head"])
    enrol_households(
        [household],
        enrolment_terms(2022),
        now=timezone.datetime(2022, 10, 8, 10, 0, tzinfo=SHANGHAI),
        actor=None,
    )
    with selectors.clock_at(timezone.datetime(2023, 3, 20, 9, 0, tzinfo=SHANGHAI)):
        claim = claim_application.create_claim(member, stay_data(), actor=None)
        claim_application.upload_document(
            claim, "discharge_record", jpeg((320, 240)), file_name="出院记录.jpg", actor=None
        )
        claim_application.upload_document(claim, "cost_list", PDF, file_name="费用清单.pdf", actor=None)
        for kind in claim_application.missing_documents(claim):
            claim_application.upload_document(
                claim, kind, jpeg((320, 240)), file_name=f"{kind}.jpg", actor=None
            )
        claim_application.submit(claim, actor=None)
    connection.set_schema_to_public()

    def user(username, role, **scope):
        made = User.objects.create_user(username, password=PASSWORD, display_name=username)
        RoleAssignment.objects.create(user=made, role=role, **scope)
        return made

    users = {
        "admin": user("e2e_admin", Role.TOWN_ADMIN, town=town),
        "finance": user("e2e_finance", Role.TOWN_FINANCE, town=town),
        "coordinator": user("e2e_coordinator", Role.VILLAGE_COORDINATOR, town=town, village_code=VILLAGE),
        "reviewer": user("e2e_reviewer", Role.FIRM_REVIEWER, firm=firm),
        "county": user("e2e_county", Role.COUNTY_BUREAU, county=county),
        "member": user("e2e_member", Role.MEMBER, town=town),
    }
    users["member"].phone_hash = crypto.lookup_hash(MEMBER_PHONE)
    users["member"].save(update_fields=["phone_hash"])

    class E2E:
        pass

    e2e = E2E()
    e2e.town, e2e.users, e2e.claim, e2e.household, e2e.member = town, users, claim, household, member
    e2e.prefix = f"/t/{TOWN_CODE}"
    e2e.drg_code = drg_code
    yield e2e
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


def sign_in(driver, base: str, username: str, path: str = "/login/", password: str = PASSWORD) -> None:
    """Submit the login form and wait for the answer: a navigation started before the session cookie arrives would
    race the form's own redirect and land on whichever page finishes last."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + path)
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()

    def replaced(_) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale: the answer to the form has replaced the login page
            return True
        return False

    WebDriverWait(driver, 20).until(replaced)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
