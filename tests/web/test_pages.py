"""The console's forms through the Django test client: the domain's typed errors next to their fields in Chinese,
English on request, CSRF, the sign-in throttling, the members' SMS sign-in, the roster import's progress and error
report, enrolment and fees, and a claim filed, reviewed and approved."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

from mutualaid.claims.models import Claim, ClaimState
from mutualaid.enrolment import roster
from mutualaid.enrolment.models import ImportJob, ImportStatus
from mutualaid.platform.sms import RecordingSmsBackend
from mutualaid.policies.models import PolicyVersion
from mutualaid.web.views.policies import parameters_form
from tests.claims.conftest import PDF, jpeg
from tests.enrolment.test_roster import _csv, _rows
from tests.web.conftest import TOWN


def error_of(html: str, field: str) -> str:
    found = re.findall(rf'<p class="error" data-field="{field}">([^<]*)</p>', html)
    return " ".join(found)


def test_pages_are_chinese_by_default_and_english_on_request(scheme, users, as_user):
    client = as_user(users["town_admin"])
    html = client.get(f"{TOWN}/console/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="zh-hans"' in html and ">首页<" in html
    client.post(f"{TOWN}/language/", {"language": "en", "next": f"{TOWN}/console/"})
    html = client.get(f"{TOWN}/console/").content.decode()
    assert 'lang="en"' in html and ">Home<" in html and ">Villages and households<" in html
    # the policy editor's fields, labelled from the parameter registry, are in English too
    connection.set_tenant(scheme.town)
    policy = PolicyVersion.objects.order_by("pk").first()
    html = client.get(f"{TOWN}/console/policies/{policy.pk}/").content.decode()
    assert "Mutual-aid fee (yuan)" in html and "互助费标准" not in html
    from django.utils import translation

    with translation.override("en"):  # the registry's choices too (shown as choices on a draft's form)
        choices = [str(label) for _, label in parameters_form(policy).fields["service_fee_kind"].choices]
    assert "A share of the fund" in choices and "按互助资金比例" not in choices


def test_every_form_needs_its_csrf_token(scheme, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["town_admin"])
    assert client.post(f"{TOWN}/console/policies/", {"scheme_year": "2023"}).status_code == 403
    assert (
        Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"}).status_code
        == 403
    )


def test_sign_in_is_throttled_after_repeated_failures(settings, scheme, users):
    from tests.factories import make_user

    user = make_user()
    user.set_password("right-password-1")
    user.save()
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        html = client.post("/login/", {"username": user.username, "password": "wrong"}).content.decode()
    assert "登录失败次数过多" in html
    html = client.post(
        "/login/", {"username": user.username, "password": "right-password-1"}
    ).content.decode()
    assert "登录失败次数过多" in html  # even the right password waits
    assert "_auth_user_id" not in client.session


def test_sign_in_lands_on_the_roles_home_and_logout_ends_the_session(scheme, users):
    from tests.factories import make_user

    for role_user, landing in ((users["town_admin"], f"{TOWN}/console/"), (users["reviewer"], "/console/")):
        role_user.set_password("right-password-1")
        role_user.save()
        client = Client()
        response = client.post("/login/", {"username": role_user.username, "password": "right-password-1"})
        assert response.status_code == 302 and response["Location"] == landing
        client.post("/logout/")
        assert client.get(f"{TOWN}/console/").status_code == 302
    assert make_user  # the factory the other tests use


def test_a_member_signs_in_with_an_sms_code_and_a_wrong_code_is_refused(scheme, users):
    client = Client()
    client.post(f"{TOWN}/m/login/", {"step": "phone", "phone": "13900002222"})
    text = RecordingSmsBackend.outbox[-1].text
    code = re.search(r"验证码为 (\d{6})", text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    html = client.post(f"{TOWN}/m/login/", {"step": "code", "code": wrong}).content.decode()
    assert "验证码错误或已失效" in error_of(html, "code")
    response = client.post(f"{TOWN}/m/login/", {"step": "code", "code": code})
    assert response.status_code == 302 and response["Location"] == f"{TOWN}/m/"
    assert "王大山" in client.get(f"{TOWN}/m/").content.decode()


def test_a_number_that_is_no_member_gets_no_code_and_the_same_page(scheme, users):
    before = len(RecordingSmsBackend.outbox)
    html = Client().post(f"{TOWN}/m/login/", {"step": "phone", "phone": "13700009999"}, follow=True)
    assert "code-form" in html.content.decode() and len(RecordingSmsBackend.outbox) == before


def test_publishing_an_incomplete_draft_shows_each_error_next_to_its_field(scheme, users, as_user):
    client = as_user(users["town_admin"])
    response = client.post(f"{TOWN}/console/policies/", {"scheme_year": "2024", "start": "blank"})
    assert response.status_code == 302
    url = response["Location"]
    html = client.post(url, {"action": "save", "fee_per_person_fen": "四十五"}).content.decode()
    assert "金额格式不正确" in error_of(html, "fee_per_person_fen")
    html = client.post(url, {"action": "publish"}).content.decode()
    assert error_of(html, "fee_per_person_fen") and error_of(html, "coverage_start")
    connection.set_tenant(scheme.town)  # the request went back to the public schema
    form = parameters_form(PolicyVersion.objects.get(pk=url.rstrip("/").rsplit("/", 1)[1]))
    data = {name: value for name, value in form.initial.items() if value not in (None, "", [])}
    response = client.post(url, {**data, "action": "save", "fee_per_person_fen": "45"})
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', response.content.decode())
    assert 'value="45.00"' in client.get(url).content.decode()


def test_a_year_started_from_the_towns_document_is_published_from_the_browser(scheme, users, as_user):
    client = as_user(users["town_admin"])
    response = client.post(f"{TOWN}/console/policies/", {"scheme_year": "2023", "start": "preset"})
    assert response.status_code == 302
    url = response["Location"]
    html = client.post(url, {"action": "funding", "share_person": "四十"}).content.decode()
    assert "金额格式不正确" in error_of(html, "share_person")
    response = client.post(url, {"action": "publish"})
    assert response.status_code == 302, re.findall(
        r'class="error[s]?"[^>]*>([^<]*)', response.content.decode()
    )
    assert "已发布" in client.get(url).content.decode()
    copied = client.post(f"{TOWN}/console/policies/", {"scheme_year": "2024", "start": "copy"})
    assert copied.status_code == 302 and copied["Location"] != url


def test_only_the_admin_may_change_a_policy(scheme, users, as_user):
    assert (
        as_user(users["town_finance"]).post(f"{TOWN}/console/policies/", {"scheme_year": "2024"}).status_code
        == 404
    )


def test_roster_import_shows_its_progress_and_the_error_report(scheme, users, as_user):
    client = as_user(users["coordinator"])
    rows = _rows(scheme.village.code, households=2, size=2)
    rows[1][6] = "商业保险"
    upload = _csv(rows)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"{TOWN}/console/roster/",
        {"file": SimpleUploadedFile("石盘村.csv", upload), "village_code": scheme.village.code},
    )
    assert response.status_code == 302
    connection.set_tenant(scheme.town)
    job = ImportJob.objects.get()
    assert job.village_code == scheme.village.code
    html = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in html  # polls while the job runs
    connection.set_tenant(scheme.town)
    roster.run_job(job)
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'value="100"' in partial and "hx-trigger" not in partial
    connection.set_tenant(scheme.town)
    assert ImportJob.objects.get().status == ImportStatus.DONE
    report = client.get(f"{TOWN}/console/roster/{job.pk}/errors")
    assert report.status_code == 200 and "商业保险".encode() in b"".join(report.streaming_content)
    # another village's coordinator neither sees the job nor imports into a village not theirs
    other = as_user(users["other_coordinator"])
    assert other.get(response["Location"]).status_code == 404
    refused = other.post(
        f"{TOWN}/console/roster/",
        {"file": SimpleUploadedFile("x.csv", upload), "village_code": scheme.village.code},
    )
    connection.set_tenant(scheme.town)
    assert refused.status_code == 200 and ImportJob.objects.count() == 1


def test_a_coordinator_records_a_fee_and_a_bad_amount_of_fields_is_explained(scheme, users, as_user):
    client = as_user(users["coordinator"])
    url = f"{TOWN}/console/households/{scheme.household.pk}/"
    enrolment = scheme.household.enrolments.get()
    html = client.post(url, {"action": "pay", "enrolment": enrolment.pk, "method": "cash"}).content.decode()
    assert "必填" in error_of(html, "receipt_number")
    response = client.post(
        url,
        {
            "action": "pay",
            "enrolment": enrolment.pk,
            "method": "cash",
            "receipt_number": "R-1",
            "received_on": "2022-10-10",
        },
    )
    assert response.status_code == 302, error_of(response.content.decode(), "received_on")
    assert "已交清" in client.get(url).content.decode()
    # the other village's coordinator cannot
    assert as_user(users["other_coordinator"]).post(url, {"action": "pay"}).status_code == 404


def test_a_claim_is_filed_with_photos_then_reviewed_and_approved(scheme, users, as_user, drg_catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    coordinator = as_user(users["coordinator"])
    url = f"{TOWN}/claims/new/{scheme.head.pk}/"
    data = {
        "hospital_name": "潼南区人民医院", "hospital_level": "secondary", "hospital_designated": "1",
        "hospital_mainland": "1", "inpatient": "1", "admission_date": "2023-03-01", "discharge_date": "2023-03-12",
        "cause": "illness", "insurance_type": "resident", "total_cost": "30000", "insurance_paid": "18000",
        "out_of_pocket": "10000", "diagnosis_codes": "C34.900", "procedure_codes": "32.4100",
        "bank_name": "农业银行", "bank_card": "6228480402564890018",
    }  # fmt: skip
    html = coordinator.post(url, data).content.decode()
    assert "金额不一致" in error_of(html, "total_cost")  # 18,000 + 10,000 ≠ 30,000
    data["out_of_pocket"] = "12000"
    response = coordinator.post(url, data)
    assert response.status_code == 302
    connection.set_tenant(scheme.town)
    claim = Claim.objects.get()
    assert claim.channel == "village"
    page = response["Location"]
    html = coordinator.post(page, {"action": "submit"}).content.decode()
    assert "材料" in html and claim.state == ClaimState.DRAFT
    for kind, content, name in (
        ("discharge_record", jpeg(), "出院记录.jpg"),
        ("cost_list", PDF, "清单.pdf"),
        ("insurance_statement", jpeg(), "报销单.jpg"),
    ):
        coordinator.post(page, {"action": "upload", "kind": kind, "file": SimpleUploadedFile(name, content)})
    assert coordinator.post(page, {"action": "submit"}).status_code == 302
    connection.set_tenant(scheme.town)
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    # the reviewer: the photos beside the rules' reasons; a reason-less rejection is refused in Chinese
    reviewer = as_user(users["reviewer"])
    html = reviewer.get(page).content.decode()
    assert 'id="reasons"' in html and f"/claims/{claim.pk}/documents/" in html
    html = reviewer.post(page, {"action": "reject", "reason": ""}).content.decode()
    assert "必填" in error_of(html, "reason")
    reviewer.post(page, {"action": "start"})
    connection.set_tenant(scheme.town)
    drg = (
        PolicyVersion.objects.get(scheme_year__year=2022)
        .subsidy_entries.order_by("drg_code")
        .first()
        .drg_code
    )
    response = reviewer.post(page, {"action": "approve", "drg_code": drg})
    assert response.status_code == 302, error_of(response.content.decode(), "drg_code")
    connection.set_tenant(scheme.town)
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED and claim.amount_fen
    # a document is served only to those who may read it
    document = claim.documents.first()
    assert document is not None
    assert reviewer.get(f"{page}documents/{document.pk}").status_code == 200
    assert as_user(users["town_finance"]).get(f"{page}documents/{document.pk}").status_code == 404


@pytest.mark.parametrize("who", ["other_coordinator", "other_member", "other_town_admin"])
def test_nobody_files_a_claim_for_someone_else(who, scheme, users, as_user):
    assert as_user(users[who]).get(f"{TOWN}/claims/new/{scheme.head.pk}/").status_code == 404


def test_a_county_onboards_a_town_of_its_own_county_and_follows_its_progress(scheme, users, as_user):
    from mutualaid.platform.accounts.roles import Role
    from mutualaid.tenants.models import Town, TownStatus
    from tests.factories import make_user

    haian = Town.objects.get(code="320685107").county
    county = as_user(make_user(Role.COUNTY_BUREAU, county=haian))
    html = county.post(
        "/console/onboarding/", {"code": "320685101", "admin_phone": "1380000"}
    ).content.decode()
    assert "手机号" in html and not Town.objects.filter(code="320685101").exists()  # refused in Chinese
    html = county.post("/console/onboarding/", {"code": "500152116", "admin_phone": "13800001111"}).content
    assert "只能开通本县" in html.decode()  # 潼南区's town: not this county's
    response = county.post("/console/onboarding/", {"code": "320685101", "admin_phone": "13800001111"})
    assert response.status_code == 302
    assert Town.objects.get(code="320685101").status == TownStatus.PROVISIONING
    html = county.get("/console/onboarding/").content.decode()
    assert "城东镇" in html and "开通中" in html
    # another county's bureau does not see it
    tongnan = as_user(make_user(Role.COUNTY_BUREAU, county=scheme.town.county))
    assert "城东镇" not in tongnan.get("/console/onboarding/").content.decode()


def test_every_console_form_label_has_its_english_translation():
    """Labels written in Python (the forms of every console page) are in the English catalogue, as the templates'
    text is: with English chosen, no form shows a Chinese label."""
    import importlib
    import pkgutil

    from django import forms
    from django.utils import translation

    import mutualaid.web.views

    for module in pkgutil.iter_modules(mutualaid.web.views.__path__):
        importlib.import_module(f"mutualaid.web.views.{module.name}")
    importlib.import_module("mutualaid.web.forms")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    untranslated = []
    for form in subclasses(forms.Form):
        if not form.__module__.startswith("mutualaid.web"):
            continue
        for name, field in form.base_fields.items():
            if field.label is None:
                continue
            with translation.override("zh-hans"):
                chinese = str(field.label)
            with translation.override("en"):
                english = str(field.label)
            if english == chinese and re.search(r"[\u4e00-\u9fff]", chinese):
                untranslated.append(f"{form.__module__}.{form.__name__}.{name}: {chinese}")
    assert untranslated == []


def test_the_countys_town_list_says_how_many_towns_may_run_dry(scheme, as_user):
    from datetime import date

    from django.utils import timezone

    from mutualaid.platform.accounts.roles import Role
    from mutualaid.platform.regions.models import County
    from mutualaid.reporting.models import TownRollup
    from tests.factories import make_user

    county = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152"))
    # given no simulation yet: nothing at risk
    assert "没有资金用尽概率偏高的乡镇" in as_user(county).get("/console/").content.decode()
    # when 新胜镇's 2022 table is simulated at 18.5% (above the 10% line)
    town = scheme.town
    TownRollup.objects.create(
        town=town, county=town.county, province_code="50", scheme_year=2022, as_of=date(2023, 3, 1),
        computed_at=timezone.now(), has_policy=True, run_dry_bp=1850,
    )  # fmt: skip
    # then the list counts it, in Chinese and in English
    client = as_user(county)
    page = client.get("/console/").content.decode()
    assert "资金用尽概率偏高的乡镇：1 个" in page.split('id="at-risk"', 1)[1].split("</p>", 1)[0]
    client.post("/language/", {"language": "en", "next": "/console/"})
    assert "Towns likely to run dry (above 10%): 1" in client.get("/console/").content.decode()
