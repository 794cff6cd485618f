"""Fixtures for supervision: the three demo towns with their 2022 policy published, a small generated enrolment
and the documents' fund entries (inside each town's schema), and users holding each role."""

from __future__ import annotations

import pytest
from django.db import connection

from mutualaid.enrolment import demo as enrolment_demo
from mutualaid.funds.demo import demo_town_funds
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.models import County, Province
from mutualaid.policies.actions import apply_preset
from mutualaid.policies.selectors import enrolment_terms
from mutualaid.tenants.models import ServiceFirm
from tests.factories import make_user
from tests.policies.conftest import drg_catalogue  # noqa: F401 - a fixture

PEOPLE = {"320685107": 900, "320685109": 700, "500152116": 600}


@pytest.fixture
def demo_towns(towns, drg_catalogue):  # noqa: F811
    """大公镇, 雅周镇, 新胜镇 with 2022 data, back in the public schema."""
    for code, town in towns.items():
        connection.set_tenant(town)
        try:
            apply_preset(code, None, publish=True)
            enrolment_demo.load_town(code, enrolment_terms(2022), seed=7, people=PEOPLE[code])
            demo_town_funds(town)
        finally:
            connection.set_schema_to_public()
    return towns


@pytest.fixture
def people(towns):
    """A user per role and jurisdiction (the matrix's rows)."""
    dagong, yazhou, xinsheng = (towns[c] for c in ("320685107", "320685109", "500152116"))
    firm = ServiceFirm.objects.create(name="测试服务机构")
    firm.towns.add(dagong)
    return {
        "staff": make_user(is_staff=True),
        "province": make_user(Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")),
        "other_province": make_user(Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="50")),
        "county": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685")),
        "other_county": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152")),
        "town_admin": make_user(Role.TOWN_ADMIN, town=dagong),
        "other_town_admin": make_user(Role.TOWN_ADMIN, town=yazhou),
        "finance": make_user(Role.TOWN_FINANCE, town=dagong),
        "coordinator": make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201"),
        "reviewer": make_user(Role.FIRM_REVIEWER, firm=firm),
        "member": make_user(Role.MEMBER, town=dagong),
        "other_member": make_user(Role.MEMBER, town=xinsheng),
        "anonymous": None,
    }
