"""Fixtures for enrolment: the two documents' 2022 terms built directly, villages, households and members inside
the session towns, and users holding each role."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from mutualaid.platform import idnumbers
from mutualaid.platform.accounts.roles import Role
from mutualaid.policies.terms import (
    EnrolmentTerms,
    FundingShare,
    FundingSource,
    HardshipCategory,
    SpecialGroupRule,
    SpecialGroupTreatment,
)
from tests.factories import make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
_sequence = itertools.count(1)

XINSHENG_2022 = EnrolmentTerms(
    policy_id=None,
    version=1,
    scheme_year=2022,
    fee_per_person_fen=4500,
    funding_shares=(
        FundingShare(FundingSource.PERSON, 2500),
        FundingShare(FundingSource.TOWN_FINANCE, 1000),
        FundingShare(FundingSource.CHARITY, 500),
        FundingShare(FundingSource.ENTERPRISE, 500),
    ),
    special_groups=(
        SpecialGroupRule(
            HardshipCategory.DIBAO, SpecialGroupTreatment.EXEMPT_PERSON_SHARE, FundingSource.TOWN_FINANCE
        ),
        SpecialGroupRule(
            HardshipCategory.TEKUN, SpecialGroupTreatment.EXEMPT_PERSON_SHARE, FundingSource.TOWN_FINANCE
        ),
    ),
    register_snapshot_date=date(2022, 8, 31),
    enrolment_opens=date(2022, 9, 29),
    enrolment_closes=date(2022, 10, 31),
    coverage_start=date(2022, 11, 1),
    coverage_end=date(2023, 10, 31),
    target_person_share_bp=5000,
)

HAIAN_2022 = EnrolmentTerms(
    policy_id=None,
    version=1,
    scheme_year=2022,
    fee_per_person_fen=10000,
    funding_shares=(
        FundingShare(FundingSource.PERSON, 5000),
        FundingShare(FundingSource.TOWN_FINANCE, 2500),
        FundingShare(FundingSource.VILLAGE_COLLECTIVE, 2500),
    ),
    special_groups=tuple(
        SpecialGroupRule(category, SpecialGroupTreatment.EXCLUDED) for category in HardshipCategory.values
    ),
    register_snapshot_date=date(2022, 5, 31),
    enrolment_opens=date(2022, 6, 1),
    enrolment_closes=date(2022, 6, 30),
    coverage_start=date(2022, 7, 1),
    coverage_end=date(2023, 6, 30),
    target_village_share_bp=5000,
    target_household_share_bp=3000,
)

XINSHENG_OPEN = datetime(2022, 10, 15, 10, 0, tzinfo=SHANGHAI)
HAIAN_OPEN = datetime(2022, 6, 15, 10, 0, tzinfo=SHANGHAI)


def id_number(region: str = "320685", born: date = date(1970, 3, 5)) -> str:
    return idnumbers.make(region, born, next(_sequence))


@pytest.fixture
def xinsheng_terms():
    return XINSHENG_2022


@pytest.fixture
def haian_terms():
    return HAIAN_2022


@pytest.fixture
def in_town():
    """A function entering a town's schema for the rest of the test."""
    entered = []

    def enter(town):
        connection.set_tenant(town)
        entered.append(town)
        return town

    yield enter
    connection.set_schema_to_public()


@pytest.fixture
def in_xinsheng(xinsheng, in_town):
    return in_town(xinsheng)


@pytest.fixture
def build(db):
    """Builders for villages, households and members in the current town schema."""
    from mutualaid.enrolment.actions import seal_id_number, seal_phone
    from mutualaid.enrolment.models import Household, Member, Village

    class Builder:
        def village(self, code: str | None = None, name: str = "测试村", joined: bool = True) -> Village:
            code = code or f"{connection.tenant.code}{200 + next(_sequence) % 800:03d}"
            village, _ = Village.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "joined": joined,
                    "resolution_date": date(2022, 5, 10) if joined else None,
                },
            )
            return village

        def household(self, village: Village, number: str | None = None) -> Household:
            return Household.objects.create(number=number or f"H{next(_sequence):07d}", village=village)

        def member(
            self,
            household: Household,
            *,
            name: str = "张三",
            relation: str = "head",
            region: str | None = None,
            born: date = date(1970, 3, 5),
            hardship=(),
            insurance: str = "resident",
            status: str = "active",
            registered_on: date = date(2010, 1, 1),
            phone: str = "13912345678",
            number: str | None = None,
        ) -> Member:
            value = number or id_number(region or connection.tenant.code[:6], born)
            encrypted, id_hash, masked = seal_id_number(value)
            phone_encrypted, phone_hash, phone_masked = seal_phone(phone)
            parsed = idnumbers.parse(value)
            member = Member.objects.create(
                household=household,
                name=name,
                id_number_encrypted=encrypted,
                id_hash=id_hash,
                id_masked=masked,
                sex=parsed.sex,
                birth_date=parsed.birth_date,
                relation=relation,
                phone_encrypted=phone_encrypted,
                phone_hash=phone_hash,
                phone_masked=phone_masked,
                insurance_type=insurance,
                hardship_categories=list(hardship),
                registered_on=registered_on,
                status=status,
            )
            member.plain_id_number = value
            if relation == "head" and household.head_id is None:
                household.head = member
                household.save(update_fields=["head"])
            return member

        def family(self, village: Village, size: int = 3, **kwargs) -> Household:
            household = self.household(village)
            for i in range(size):
                self.member(household, relation="head" if i == 0 else "child", name=f"李{i}明", **kwargs)
            return household

    return Builder()


@pytest.fixture
def role_users(towns):
    """One user per role over 大公镇 (coordinator of village 320685107201), plus outsiders."""
    from mutualaid.platform.regions.models import County, Province
    from mutualaid.tenants.models import ServiceFirm

    dagong, yazhou = towns["320685107"], towns["320685109"]
    firm, _ = ServiceFirm.objects.get_or_create(name="测试服务机构")
    firm.towns.add(dagong)
    return {
        "town_admin": make_user(Role.TOWN_ADMIN, town=dagong),
        "town_finance": make_user(Role.TOWN_FINANCE, town=dagong),
        "coordinator": make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201"),
        "other_coordinator": make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107202"),
        "firm_reviewer": make_user(Role.FIRM_REVIEWER, firm=firm),
        "member": make_user(Role.MEMBER, town=dagong),
        "county_bureau": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685")),
        "province_supervisor": make_user(Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")),
        "other_town_admin": make_user(Role.TOWN_ADMIN, town=yazhou),
        "anonymous": None,
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded rosters and error reports go to a temporary folder, not the dev data folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
