"""DRG catalogue fixtures: the real reference files, imported once per session.

Importing a CHS-DRG version takes a few seconds, so both versions, the ICD lists and the demo city table are
imported once per session (committed, outside the per-test transactions). Tests that need them use
``catalogues``, which re-imports (cheaply: only when the stored content hash differs) if a transactional test
elsewhere has flushed the public tables.
"""

from __future__ import annotations

import pytest

from mutualaid.drg.demo import DEMO_CITY_TABLE, reference_data_dir
from mutualaid.platform.accounts.roles import Role
from tests.factories import make_user

DATA = reference_data_dir()
DRG_DATA = DATA / "drg"
ICD_DATA = DATA / "icd"
CITY_DATA = DRG_DATA / "city-payment-standards"

needs_data = pytest.mark.skipif(
    not (DRG_DATA.is_dir() and ICD_DATA.is_dir()),
    reason=f"参考数据文件夹 {DATA} 不存在（drg/ 与 icd/）：跳过真实目录导入测试",
)


def _ensure_imported() -> dict:
    from mutualaid.drg.city_weights import import_city_weights
    from mutualaid.drg.importer import catalogue_is_current, icd_is_current, import_catalogue, import_icd
    from mutualaid.drg.models import CityWeightTable

    results = {}
    for version in ("chs-drg-1.1", "chs-drg-2.0"):
        if not catalogue_is_current(version, DRG_DATA / version):
            results[version] = import_catalogue(version, DRG_DATA / version)
    if not icd_is_current(ICD_DATA):
        results["icd"] = import_icd(ICD_DATA)
    city, year, relative, version = DEMO_CITY_TABLE
    if not CityWeightTable.objects.filter(city=city, year=year, version__code=version).exists():
        results["city"] = import_city_weights(city, year, DRG_DATA / relative, version_code=version)
    return results


@pytest.fixture(scope="session")
def imported_catalogues(django_db_setup, django_db_blocker):
    if not (DRG_DATA.is_dir() and ICD_DATA.is_dir()):
        pytest.skip(f"参考数据文件夹 {DATA} 不存在（drg/ 与 icd/）")
    with django_db_blocker.unblock():
        return _ensure_imported()


@pytest.fixture
def catalogues(imported_catalogues, db):
    _ensure_imported()
    return imported_catalogues


@pytest.fixture
def people(towns):
    """A user of every role (and platform staff), plus an anonymous visitor."""
    dagong = towns["320685107"]
    from mutualaid.platform.regions.models import County, Province
    from mutualaid.tenants.models import ServiceFirm

    firm = ServiceFirm.objects.create(name="DRG 测试服务机构")
    firm.towns.add(dagong)
    return {
        "staff": make_user(is_staff=True),
        Role.PROVINCE_SUPERVISOR: make_user(
            Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")
        ),
        Role.COUNTY_BUREAU: make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152")),
        Role.TOWN_ADMIN: make_user(Role.TOWN_ADMIN, town=dagong),
        Role.TOWN_FINANCE: make_user(Role.TOWN_FINANCE, town=dagong),
        Role.VILLAGE_COORDINATOR: make_user(
            Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201"
        ),
        Role.FIRM_REVIEWER: make_user(Role.FIRM_REVIEWER, firm=firm),
        Role.MEMBER: make_user(Role.MEMBER, town=dagong),
        "no_role": make_user(),
        "anonymous": None,
    }
