"""Fixtures for the scheme-year policy: a small DRG catalogue (public rows) and policies inside 大公镇."""

from __future__ import annotations

import pytest

from mutualaid.policies.presets import DEFAULT_TABLE_CHS_11

CODES_20 = ("ES31", "FM19", "BR21")


@pytest.fixture
def drg_catalogue(db):
    """CHS-DRG 1.1 with the preset's groups and a few more; CHS-DRG 2.0 with three groups (public rows)."""
    from mutualaid.drg.models import Adrg, CatalogueVersion, Drg, Mdc

    def build(code: str, name: str, drg_codes) -> CatalogueVersion:
        # Another module may have imported the real catalogue already (committed rows): add only what is missing.
        version, _ = CatalogueVersion.objects.get_or_create(code=code, defaults={"name": name})
        missing = set(drg_codes) - set(Drg.objects.filter(version=version).values_list("code", flat=True))
        mdcs = {m.code: m for m in Mdc.objects.filter(version=version)}
        new_mdcs = [
            Mdc(version=version, code=f"MDC{letter}", name=letter)
            for letter in sorted({c[0] for c in missing})
            if f"MDC{letter}" not in mdcs
        ]
        mdcs |= {m.code: m for m in Mdc.objects.bulk_create(new_mdcs)}
        adrgs = {a.code: a for a in Adrg.objects.filter(version=version)}
        new_adrgs = [
            Adrg(version=version, mdc=mdcs[f"MDC{prefix[0]}"], code=prefix, name=prefix)
            for prefix in sorted({c[:3] for c in missing})
            if prefix not in adrgs
        ]
        adrgs |= {a.code: a for a in Adrg.objects.bulk_create(new_adrgs)}
        Drg.objects.bulk_create(
            Drg(version=version, adrg=adrgs[c[:3]], code=c, name=c, split=c[3]) for c in sorted(missing)
        )
        return version

    codes_11 = [row.drg_code for row in DEFAULT_TABLE_CHS_11] + ["FR23", "GZ15"]
    return {
        "chs-drg-1.1": build("chs-drg-1.1", "CHS-DRG 1.1", codes_11),
        "chs-drg-2.0": build("chs-drg-2.0", "CHS-DRG 2.0", CODES_20),
    }


@pytest.fixture
def in_xinsheng(xinsheng):
    """Run the test body inside 新胜镇's schema."""
    from django.db import connection

    connection.set_tenant(xinsheng)
    yield xinsheng
    connection.set_schema_to_public()


@pytest.fixture
def in_yazhou(yazhou):
    from django.db import connection

    connection.set_tenant(yazhou)
    yield yazhou
    connection.set_schema_to_public()


@pytest.fixture
def xinsheng_policy(in_xinsheng, drg_catalogue):
    """新胜镇's 2022 preset, published."""
    from mutualaid.policies.actions import apply_preset

    return apply_preset("500152116", None, publish=True)


@pytest.fixture
def dagong_policy(in_dagong, drg_catalogue):
    """大公镇's 2022 preset (海安), published."""
    from mutualaid.policies.actions import apply_preset

    return apply_preset("320685107", None, publish=True)


@pytest.fixture
def people(towns):
    """One user per role around 大公镇, and outsiders (another county, another town, another firm)."""
    from mutualaid.platform.accounts.roles import Role
    from mutualaid.platform.regions.models import County, Province
    from mutualaid.tenants.models import ServiceFirm
    from tests.factories import make_user

    dagong, xinsheng = towns["320685107"], towns["500152116"]
    firm = ServiceFirm.objects.create(name="大公镇服务机构")
    firm.towns.add(dagong)
    other_firm = ServiceFirm.objects.create(name="新胜镇服务机构")
    other_firm.towns.add(xinsheng)
    return {
        "staff": make_user(is_staff=True),
        "town_admin": make_user(Role.TOWN_ADMIN, town=dagong),
        "county_bureau": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685")),
        "town_finance": make_user(Role.TOWN_FINANCE, town=dagong),
        "village_coordinator": make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201"),
        "firm_reviewer": make_user(Role.FIRM_REVIEWER, firm=firm),
        "province_supervisor": make_user(Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")),
        "member": make_user(Role.MEMBER, town=dagong),
        "other_county_bureau": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152")),
        "other_town_admin": make_user(Role.TOWN_ADMIN, town=xinsheng),
        "other_firm_reviewer": make_user(Role.FIRM_REVIEWER, firm=other_firm),
        "anonymous": None,
    }


EDITORS = {"staff", "town_admin"}
READERS = EDITORS | {"county_bureau", "town_finance", "village_coordinator", "firm_reviewer"}
