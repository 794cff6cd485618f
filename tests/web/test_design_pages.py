"""The one-click design page (一键设计) and the solvency simulation pages on the 新胜镇 fixture: open, design,
create the draft, simulate; an uploaded rate table with bad rows shows the typed Chinese error and writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.web.conftest import TOWN

YUAN = 100
DESIGN = f"{TOWN}/console/design/"


@pytest.fixture
def funded(scheme):
    """新胜镇 2022 with 300 paid participants of mixed ages and 30,000 yuan of grants received."""
    from mutualaid.funds import actions as funds
    from tests.policies.test_design_inputs import _enrol

    connection.set_tenant(scheme.town)
    births = [date(1950, 5, 1), date(1975, 3, 1), date(1990, 7, 1), date(2015, 1, 1), date(1940, 2, 1)]
    for number in range(100):
        people = [("M" if (number + i) % 2 else "F", births[(number + i) % 5]) for i in range(3)]
        _enrol(scheme.village, 500 + number, people, paid=True)
    funds.record_grant(
        2022,
        source="government_grant",
        amount_fen=30_000 * YUAN,
        grantor="潼南区",
        received_on=date(2022, 10, 15),
        actor=None,
    )
    return scheme


def _state(town):
    from mutualaid.platform.audit.models import AuditEvent
    from mutualaid.policies.models import PolicyVersion, SubsidyEntry

    connection.set_tenant(town)
    return (
        list(PolicyVersion.objects.order_by("pk").values_list("pk", "version", "status")),
        list(SubsidyEntry.objects.order_by("pk").values_list("policy_id", "drg_code", "amount_fen")),
        AuditEvent.objects.filter(action__in=["policy.scheme_design", "policy.solvency_simulation"]).count(),
    )


def _form(**changes):
    data = {"scheme_year": "2022", "reserve_percent": "10", "weight_source": "current", "runs": "1000"}
    data.update(changes)
    return data


def test_the_admin_designs_creates_the_draft_and_simulates(funded, users, as_user):
    from mutualaid.policies.choices import PolicyStatus
    from mutualaid.policies.models import PolicyVersion

    admin = as_user(users["town_admin"])
    connection.set_tenant(funded.town)
    published = PolicyVersion.objects.get(status=PolicyStatus.PUBLISHED)
    published_table = list(published.subsidy_rows())

    # given the admin opens the page: the inputs come from the town's own data
    page = admin.get(DESIGN).content.decode()
    assert 'id="participants">300<' in page
    assert "30,000.00" in page  # the grants received
    assert "参考表" in page and 'id="design-lines"' in page

    # when they design and simulate with a 5% reserve
    page = admin.post(DESIGN, _form(action="simulate", reserve_percent="5")).content.decode()
    # then the table preview and the run-dry probability are shown
    assert 'id="expected"' in page and "5%" in page
    assert 'id="run-dry-probability"' in page and "run-dry-chart" in page and "payout-chart" in page
    assert "✓ 均在限额内" in page

    # when they create a draft from the design
    response = admin.post(DESIGN, _form(action="save", reserve_percent="5"))
    # then they land on the draft's editor; the published table is untouched
    assert response.status_code == 302
    connection.set_tenant(funded.town)
    draft = PolicyVersion.objects.get(status=PolicyStatus.DRAFT)
    assert response["Location"].endswith(f"/console/policies/{draft.pk}/")
    assert draft.version == published.version + 1
    published.refresh_from_db()
    assert list(published.subsidy_rows()) == published_table
    editor = admin.get(response["Location"]).content.decode()
    assert "一键设计" in editor and 'id="solvency-none"' in editor and 'id="publish"' in editor

    # when they simulate the draft's table on its solvency page
    solvency = f"{TOWN}/console/policies/{draft.pk}/solvency/"
    response = admin.post(solvency, {"runs": "1000"})
    assert response.status_code == 302
    page = admin.get(solvency).content.decode()
    assert 'id="run-dry-probability"' in page and "参考表（随平台提供）" in page
    # then the policy page shows the outcome next to the publish button
    editor = admin.get(f"{TOWN}/console/policies/{draft.pk}/").content.decode()
    assert 'id="summary-run-dry-probability"' in editor
    assert editor.index('id="publish"') < editor.index('id="solvency-summary"')
    assert 'id="solvency-stale"' not in editor


def test_a_changed_table_marks_the_simulation_stale(funded, users, as_user):
    from mutualaid.policies import actions
    from mutualaid.policies.choices import PolicyStatus
    from mutualaid.policies.models import PolicyVersion

    admin = as_user(users["town_admin"])
    admin.post(DESIGN, _form(action="save"))
    connection.set_tenant(funded.town)
    draft = PolicyVersion.objects.get(status=PolicyStatus.DRAFT)
    admin.post(f"{TOWN}/console/policies/{draft.pk}/solvency/", {"runs": "1000"})
    connection.set_tenant(funded.town)
    actions.scale_subsidy_table(draft, Decimal(2), None)

    editor = admin.get(f"{TOWN}/console/policies/{draft.pk}/").content.decode()

    assert 'id="solvency-stale"' in editor


def test_a_published_policy_is_simulated_too(funded, users, as_user):
    from mutualaid.policies.models import PolicyVersion

    connection.set_tenant(funded.town)
    published = PolicyVersion.objects.get()
    finance = as_user(users["town_finance"])

    assert (
        finance.post(f"{TOWN}/console/policies/{published.pk}/solvency/", {"runs": "1000"}).status_code == 302
    )

    page = finance.get(f"{TOWN}/console/policies/{published.pk}/").content.decode()
    assert 'id="summary-run-dry-probability"' in page and 'id="publish"' not in page


@pytest.mark.parametrize(
    "content,message",
    [
        ("DRG编码,每千人住院次数\nES31,5\nZZ99,1\n", "第 3 行：DRG 编码 ZZ99 不在分组目录中"),
        ("DRG编码,每千人住院次数\nES31,-2\n", "第 2 行：住院率不能为负数"),
        ("DRG编码,每千人住院次数\nES31,\n", "第 2 行：缺少住院率或格式不正确"),
    ],
)
@pytest.mark.parametrize("action", ["design", "save"])
def test_a_bad_rate_table_is_a_chinese_error_and_writes_nothing(
    funded, users, as_user, content, message, action
):
    admin = as_user(users["town_admin"])
    before = _state(funded.town)
    upload = SimpleUploadedFile("县住院率.csv", content.encode("utf-8"), content_type="text/csv")

    response = admin.post(DESIGN, _form(action=action, rates_file=upload))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<p class="error" data-field="rates_file">{message}</p>' in page
    assert 'id="design-lines"' not in page
    assert _state(funded.town) == before


def test_an_uploaded_rate_table_is_used_and_kept_for_the_next_step(funded, users, as_user):
    from mutualaid.policies.choices import PolicyStatus
    from mutualaid.policies.models import PolicyVersion

    admin = as_user(users["town_admin"])
    upload = SimpleUploadedFile("县住院率.csv", b"DRG\xe7\xbc\x96\xe7\xa0\x81,rate\nES31,20\nFM19,3\n")

    page = admin.post(DESIGN, _form(action="design", rates_file=upload)).content.decode()

    assert "上传的住院率表" in page and 'id="rates-kept"' in page
    kept = page.split('name="uploaded_rates" value="', 1)[1].split('"', 1)[0]
    assert "ES31" in kept
    # the next step (save) uses the kept table without a new upload
    import html

    response = admin.post(DESIGN, _form(action="save", uploaded_rates=html.unescape(kept)))
    assert response.status_code == 302
    connection.set_tenant(funded.town)
    assert PolicyVersion.objects.filter(status=PolicyStatus.DRAFT).count() == 1


def test_a_kept_rate_table_with_an_unknown_code_is_refused(funded, users, as_user):
    admin = as_user(users["town_admin"])
    before = _state(funded.town)
    kept = '{"rates": {"ZZ99": 1}, "note": "x"}'

    page = admin.post(DESIGN, _form(action="save", uploaded_rates=kept)).content.decode()

    assert "不在分组目录中的 DRG 编码：ZZ99" in page
    assert _state(funded.town) == before


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"reserve_percent": "100"}, "reserve_percent", "预留比例必须在 0 至 100%（不含 100%）之间"),
        ({"weight_source": "city"}, "city_table", "请选择城市权重表"),
    ],
)
def test_bad_choices_are_errors_next_to_their_fields(funded, users, as_user, changes, field, message):
    admin = as_user(users["town_admin"])
    before = _state(funded.town)

    page = admin.post(DESIGN, _form(action="save", **changes)).content.decode()

    assert f'data-field="{field}">{message}' in page
    assert _state(funded.town) == before


def test_a_town_without_paid_participants_sees_why(scheme, users, as_user):
    page = as_user(users["town_admin"]).get(DESIGN).content.decode()

    assert "2022互助年度没有已缴费的参加人员" in page
    assert 'id="participants">0<' in page and 'id="design-lines"' not in page


def test_a_citys_drg_weights_are_a_weight_source(funded, users, as_user, drg_catalogue):
    from django.utils import timezone

    from mutualaid.drg.models import CityDrgWeight, CityWeightTable, Drg

    version = drg_catalogue["chs-drg-1.1"]
    table = CityWeightTable.objects.create(
        city="盐城", year=2022, version=version, source_name="盐城.csv", encoding="utf-8",
        content_hash="x", imported_at=timezone.now(),
    )  # fmt: skip
    for code, weight in (("ES31", "0.8"), ("FM19", "2.4"), ("GZ15", "0.6")):
        CityDrgWeight.objects.create(
            table=table, drg_code=code, drg=Drg.objects.get(version=version, code=code), name=code,
            relative_weight=Decimal(weight),
        )  # fmt: skip
    admin = as_user(users["town_admin"])

    page = admin.post(DESIGN, _form(action="design", weight_source="city", city_table="盐城|2022")).content
    html = page.decode()

    assert "盐城2022 DRG 相对权重（3 个病组）" in html and 'id="design-lines"' in html


def test_an_xlsx_rate_table_is_read(funded, users, as_user):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["DRG编码", "每千人住院次数"])
    sheet.append(["ES31", 20])
    sheet.append(["ZZ98", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("服务机构.xlsx", buffer.getvalue())

    page = (
        as_user(users["town_admin"]).post(DESIGN, _form(action="design", rates_file=upload)).content.decode()
    )

    assert "第 3 行：DRG 编码 ZZ98 不在分组目录中" in page


def test_a_draft_without_a_table_is_refused_in_chinese(funded, users, as_user):
    from mutualaid.policies import actions

    connection.set_tenant(funded.town)
    draft = actions.create_draft(2023, None)
    before = _state(funded.town)

    page = as_user(users["town_admin"]).post(
        f"{TOWN}/console/policies/{draft.pk}/solvency/", {"runs": "1000"}
    )

    assert page.status_code == 200
    text = page.content.decode()
    assert '<div class="errors" role="alert"><p>政策未设置单次住院最低补助</p>' in text
    assert _state(funded.town) == before


def test_the_design_pages_are_chinese_by_default_and_english_on_request(funded, users, as_user):
    admin = as_user(users["town_admin"])
    html = admin.post(DESIGN, _form(action="simulate")).content.decode()
    assert ">一键设计<" in html and "保障期结束前资金用完的概率" in html

    admin.post(f"{TOWN}/language/", {"language": "en", "next": DESIGN})
    html = admin.post(DESIGN, _form(action="simulate")).content.decode()

    assert 'lang="en"' in html and ">One-click design<" in html
    assert "Probability the money runs out before the coverage year ends" in html
    assert "coverage years simulated (seed 20221101, reproducible)" in html
    assert "Reserve (%)" in html and "预留比例" not in html  # the form's own labels too


def test_the_year_picker_chooses_the_scheme_year(funded, users, as_user):
    from mutualaid.policies import actions

    connection.set_tenant(funded.town)
    actions.create_draft(2023, None)
    admin = as_user(users["town_admin"])

    html = admin.get(DESIGN, {"year": "2023"}).content.decode()

    assert '<option value="2023" selected>' in html and "2023 互助年度" in html
    assert "政策未设置单次住院最低补助" in html  # the blank 2023 draft has no limits yet
    assert "2022 互助年度" in admin.get(DESIGN).content.decode()  # the published year by default


def test_the_page_says_a_draft_of_the_year_will_get_the_designed_table(funded, users, as_user):
    admin = as_user(users["town_admin"])
    assert 'id="existing-draft"' not in admin.get(DESIGN).content.decode()

    admin.post(DESIGN, _form(action="save"))

    html = admin.get(DESIGN).content.decode()
    assert 'id="existing-draft"' in html and "本年度已有第 2 版草稿：生成时将替换该草稿的补助定额表" in html
    assert 'id="existing-draft"' not in as_user(users["town_finance"]).get(DESIGN).content.decode()


def test_where_the_towns_budget_pays_the_firm_the_fee_is_shown_apart_from_the_fund(funded, users, as_user):
    from mutualaid.policies import actions
    from mutualaid.policies.choices import PolicyStatus
    from mutualaid.policies.models import PolicyVersion

    # given the year's draft, under which the town's budget pays the service firm (海安's way)
    connection.set_tenant(funded.town)
    published = PolicyVersion.objects.get(status=PolicyStatus.PUBLISHED)
    draft = actions.amend(
        published, published.coverage_start, "服务费改由镇财政预算支付", users["town_admin"]
    )
    PolicyVersion.objects.filter(pk=draft.pk).update(service_fee_from_fund=False)
    # when the admin designs
    page = (
        as_user(users["town_admin"])
        .post(DESIGN, _form(action="simulate", reserve_percent="0"))
        .content.decode()
    )
    # then the fee is named as the budget's, not taken off the fund, and no amount reads "−0.00"
    assert "由镇财政预算支付，不占互助资金" in page and "由互助资金支付" not in page
    assert "−0.00" not in page


def test_where_the_fund_pays_the_firm_the_fee_is_taken_off(funded, users, as_user):
    page = as_user(users["town_admin"]).post(DESIGN, _form(action="simulate")).content.decode()
    fee = page.split('id="service-fee">', 1)[1].split("<", 1)[0]
    assert "由互助资金支付" in page and (fee.startswith("−") or fee == "0.00")
