import pytest

from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.importer import ensure_seed_regions
from mutualaid.platform.regions.models import County, Province
from mutualaid.tenants.models import ServiceFirm
from tests.factories import make_user


@pytest.fixture
def firm(towns):
    firm = ServiceFirm.objects.create(name="测试服务机构")
    firm.towns.add(towns["320685107"])
    return firm


@pytest.fixture
def people(towns, firm):
    """One user per role, scoped to 大公镇 / 海安市 / 江苏省, plus outsiders from 潼南区 and 新胜镇."""
    ensure_seed_regions()
    dagong, xinsheng = towns["320685107"], towns["500152116"]
    return {
        "staff": make_user(is_staff=True),
        "province_supervisor": make_user(Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")),
        "county_bureau": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685")),
        "other_county_bureau": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152")),
        "town_admin": make_user(Role.TOWN_ADMIN, town=dagong),
        "town_finance": make_user(Role.TOWN_FINANCE, town=dagong),
        "village_coordinator": make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201"),
        "firm_reviewer": make_user(Role.FIRM_REVIEWER, firm=firm),
        "member": make_user(Role.MEMBER, town=dagong),
        "other_town_admin": make_user(Role.TOWN_ADMIN, town=xinsheng),
        "anonymous": None,
    }
