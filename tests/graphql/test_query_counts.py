"""Lists cost a constant number of queries: related counties and provinces come through per-request loaders."""

import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mutualaid.platform.regions.models import County, Township
from mutualaid.tenants.models import Town
from tests.factories import make_user

QUERY = """{ towns(first: 100) { totalCount edges { node { code name host status
  county { code name city { name } } province { code name } } } } }"""


def _towns(n: int) -> None:
    counties = list(County.objects.all())
    existing = Town.objects.count()
    for i in range(existing, n):
        county = counties[i % len(counties)]
        code = f"{county.code}{900 + i:03d}"
        Township.objects.create(code=code, name=f"测试{i}镇", county=county)
        Town.objects.create(
            code=code, name=f"测试{i}镇", slug=f"t{code}", schema_name=f"town_{code}", county=county
        )


def _count_queries(user) -> tuple[int, int]:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", json.dumps({"query": QUERY}), content_type="application/json")
    data = response.json()
    assert "errors" not in data, data
    return len(captured), len(data["data"]["towns"]["edges"])


def test_towns_list_costs_the_same_queries_for_5_and_50_towns(towns):
    staff = make_user(is_staff=True)
    _towns(5)
    few, shown_few = _count_queries(staff)
    _towns(50)
    many, shown_many = _count_queries(staff)
    assert (shown_few, shown_many) == (5, 50)
    assert few == many
