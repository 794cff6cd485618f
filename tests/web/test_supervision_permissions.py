"""Every supervision page in the permission matrix (the shape of test_permissions.py): the roles a page is for get
200, every other role 404 (never another jurisdiction's data), anonymous visitors the sign-in page; refused POSTs
change nothing; a county never sees another county's town."""

from __future__ import annotations

import pytest

from mutualaid.reporting.models import Evaluation, QuarterlyReport, ReportState, Survey, Target
from tests.reporting.web_world import as_user, people, world  # noqa: F401 - fixtures

ROLES = (
    "staff", "province", "other_province", "county", "other_county", "town_admin", "other_town_admin", "finance",
    "coordinator", "reviewer", "member", "other_member",
)  # fmt: skip
SUPERVISORS = {"staff", "province", "other_province", "county", "other_county"}
OVER_DAGONG = {"staff", "province", "county"}
DAGONG_STAFF = {"staff", "town_admin", "finance"}

PLATFORM_PAGES = {
    "/console/supervision/reports/": SUPERVISORS,
    "/console/supervision/reports/{report}/": {
        "staff",
        "county",
    },  # filed: the province reads accepted ones only
    "/console/supervision/targets/": SUPERVISORS,
    "/console/supervision/evaluations/": SUPERVISORS,
    "/console/supervision/evaluations/320685107/2022/": OVER_DAGONG,
    "/console/supervision/evaluations/320685107/2022.xlsx": OVER_DAGONG,
    "/console/supervision/survey/": SUPERVISORS,
    "/console/supervision/towns/320685107/": OVER_DAGONG,
}
TOWN_PAGES = {
    "/t/320685107/console/reports/": DAGONG_STAFF,
    "/t/320685107/console/evaluation/": DAGONG_STAFF,
    "/t/320685107/console/evaluation/2022.xlsx": DAGONG_STAFF,
}
PAGES = {**PLATFORM_PAGES, **TOWN_PAGES}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_supervision_page_opens_only_for_its_roles(page, world, people, as_user):  # noqa: F811
    url = page.format(report=world["report"].pk)
    for name in ROLES:
        response = as_user(people[name]).get(url)
        expected = 200 if name in PAGES[page] else 404
        assert response.status_code == expected, (name, url, response.status_code)
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def _state():
    return (
        list(QuarterlyReport.objects.order_by("pk").values_list("state", "revision", "review_comment")),
        list(
            Evaluation.objects.order_by("pk").values_list(
                "state", "grade", "findings_briefing", "computed_at"
            )
        ),
        list(Target.objects.order_by("pk").values_list("level", "town_id", "county_id", "person_share_bp")),
        list(Survey.objects.order_by("pk").values_list("county_id", "title", "published_at")),
    )


REFUSED_POSTS = [
    # (who, url, data) — each answers 404 or leaves everything as it was
    ("other_county", "/console/supervision/reports/{report}/", {"action": "accept"}),
    ("province", "/console/supervision/reports/{report}/", {"action": "accept"}),
    ("county", "/console/supervision/reports/{other_report}/", {"action": "return", "comment": "不行"}),
    ("town_admin", "/console/supervision/reports/{report}/", {"action": "accept"}),
    ("province", "/console/supervision/evaluations/320685107/2022/", {"action": "compute"}),
    ("other_county", "/console/supervision/evaluations/320685107/2022/", {"action": "sign_off"}),
    ("finance", "/console/supervision/evaluations/320685107/2022/", {"action": "compute"}),
    ("town_admin", "/console/supervision/targets/", {"action": "town", "town-town": "320685107"}),
    (
        "other_county",
        "/console/supervision/targets/",
        {"action": "town", "town-town": "320685107", "town-scheme_year": "2022", "town-person_share": "90"},
    ),
    (
        "county",
        "/console/supervision/targets/",
        {
            "action": "county",
            "county-county": "320685",
            "county-scheme_year": "2022",
            "county-person_share": "9",
        },
    ),
    (
        "other_county",
        "/console/supervision/survey/",
        {"county": "320685", "scheme_year": "2022", "title": "x"},
    ),
    ("province", "/console/supervision/survey/", {"county": "320685", "scheme_year": "2022", "title": "x"}),
    ("finance", "/t/320685107/console/reports/", {"action": "report", "quarter": "2", "scheme_year": "2022"}),
    ("other_town_admin", "/t/320685107/console/reports/", {"action": "plan", "scheme_year": "2022"}),
    ("county", "/t/320685107/console/reports/", {"action": "report", "quarter": "2", "scheme_year": "2022"}),
]


@pytest.mark.parametrize("who, url, data", REFUSED_POSTS)
def test_refused_posts_change_nothing(who, url, data, world, people, as_user):  # noqa: F811
    before = _state()
    url = url.format(report=world["report"].pk, other_report=world["other_report"].pk)
    response = as_user(people[who]).post(url, data)
    assert response.status_code in (200, 404), (who, url, response.status_code)
    assert _state() == before
    assert as_user(None).post(url, data).status_code == 302 and _state() == before


def test_a_county_never_sees_another_countys_town(world, people, as_user):  # noqa: F811
    county = as_user(people["county"])
    listed = county.get("/console/supervision/reports/").content.decode()
    assert "大公镇" in listed and "新胜镇" not in listed
    assert f"/console/supervision/reports/{world['other_report'].pk}/" not in listed
    evaluations = county.get("/console/supervision/evaluations/").content.decode()
    assert "大公镇" in evaluations and "新胜镇" not in evaluations
    targets = county.get("/console/supervision/targets/").content.decode()
    assert "雅周镇" in targets and "新胜镇" not in targets
    for url in (
        f"/console/supervision/reports/{world['other_report'].pk}/",
        "/console/supervision/evaluations/500152116/2022/",
        "/console/supervision/evaluations/500152116/2022.pdf",
        "/console/supervision/towns/500152116/",
        "/console/supervision/survey/?county=500152",
    ):
        assert county.get(url).status_code == 404, url
    other = as_user(people["other_county"]).get("/console/supervision/reports/").content.decode()
    assert "新胜镇" in other and "大公镇" not in other


def test_the_province_reads_accepted_reports_only(world, people, as_user):  # noqa: F811
    province = as_user(people["province"])
    link = f"/console/supervision/reports/{world['report'].pk}/"
    assert link not in province.get("/console/supervision/reports/").content.decode()
    as_user(people["county"]).post(
        f"/console/supervision/reports/{world['report'].pk}/", {"action": "accept"}
    )
    assert QuarterlyReport.objects.get(pk=world["report"].pk).state == ReportState.ACCEPTED
    assert link in province.get("/console/supervision/reports/").content.decode()
    assert province.get(f"/console/supervision/reports/{world['report'].pk}/").status_code == 200
    page = province.get(f"/console/supervision/reports/{world['report'].pk}/").content.decode()
    assert 'id="review-form"' not in page


def test_menus_show_the_supervision_pages_to_their_roles(world, people, as_user):  # noqa: F811
    county = as_user(people["county"]).get("/console/").content.decode()
    for key in (
        "supervision-reports",
        "supervision-targets",
        "supervision-evaluations",
        "supervision-survey",
    ):
        assert f'data-key="{key}"' in county, key
    town = as_user(people["town_admin"]).get("/t/320685107/console/").content.decode()
    assert 'data-key="town-reports"' in town and 'data-key="town-evaluation"' in town
    assert 'data-key="supervision-reports"' not in town
    coordinator = as_user(people["coordinator"]).get("/t/320685107/console/").content.decode()
    assert 'data-key="town-reports"' not in coordinator
