"""Session fixtures: a real PostgreSQL (embedded), the migrated template, and shared town schemas.

Town schemas are cloned once per session (making schemas per test is too slow). Transactional tests flush the
public tables, so the town rows are re-created on demand by ``ensure_towns``; the schemas themselves persist.
"""

from __future__ import annotations

import pytest
from django.db import connection

from mutualaid.project.celery import app as celery_app

DAGONG = "320685107"  # 大公镇, 海安市
YAZHOU = "320685109"  # 雅周镇, 海安市
XINSHENG = "500152116"  # 新胜镇, 潼南区


def ensure_towns() -> dict:
    """Rows for the session's towns (idempotent; the schemas already exist)."""
    from mutualaid.platform.regions.importer import ensure_seed_regions
    from mutualaid.platform.regions.models import Township
    from mutualaid.tenants.models import Domain, Town, TownStatus
    from mutualaid.tenants.naming import schema_name_for, slug_for

    ensure_seed_regions()
    towns = {}
    for code in (DAGONG, YAZHOU, XINSHENG):
        township = Township.objects.select_related("county").get(code=code)
        town, created = Town.objects.get_or_create(
            code=code,
            defaults={
                "name": township.name,
                "slug": slug_for(township.name, code, set()),
                "schema_name": schema_name_for(code),
                "county": township.county,
                "status": TownStatus.ACTIVE,
            },
        )
        if created:
            Domain.objects.create(tenant=town, domain=f"{town.slug}.localhost", is_primary=True)
        towns[code] = town
    return towns


@pytest.fixture(scope="session", autouse=True)
def _memory_broker():
    celery_app.conf.update(broker_url="memory://", broker_transport_options={})
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django_tenants.clone import CloneSchema
    from django_tenants.utils import schema_exists

    from mutualaid.tenants.migration import ensure_template_schema, template_schema
    from mutualaid.tenants.naming import schema_name_for

    with django_db_blocker.unblock():
        ensure_template_schema()
        for code in (DAGONG, YAZHOU, XINSHENG):
            if not schema_exists(schema_name_for(code)):
                CloneSchema().clone_schema(template_schema(), schema_name_for(code), "DATA")
        ensure_towns()
    yield


@pytest.fixture
def towns(db):
    return ensure_towns()


@pytest.fixture
def dagong(towns):
    return towns[DAGONG]


@pytest.fixture
def yazhou(towns):
    return towns[YAZHOU]


@pytest.fixture
def xinsheng(towns):
    return towns[XINSHENG]


@pytest.fixture
def in_dagong(dagong):
    """Run the test body inside 大公镇's schema."""
    connection.set_tenant(dagong)
    yield dagong
    connection.set_schema_to_public()
