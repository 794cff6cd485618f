"""What a newcomer meets first: printed addresses carry the port, GraphiQL works offline."""

import re

from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory, override_settings

from mutualaid.graphql.views import PlatformGraphQLView
from mutualaid.project import vendor
from mutualaid.tenants.models import town_address


@override_settings(PUBLIC_URL="http://localhost:8123")
def test_a_town_address_carries_the_port_the_server_listens_on(dagong):
    address = town_address(dagong)
    assert address.startswith("http://localhost:8123/t/320685107/")
    assert re.search(r"http://[a-z0-9-]+\.localhost:8123/$", address)


def test_graphiql_loads_nothing_from_outside(db):
    # Given a browser asking the API for its page (GraphiQL is on where DEBUG is, as in development)
    request = RequestFactory().get("/graphql/", HTTP_ACCEPT="text/html")
    request.user = AnonymousUser()
    page = PlatformGraphQLView.as_view(graphiql=True)(request).content.decode()
    # Then every script and stylesheet comes from our own /static/
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    assert "cdn.jsdelivr" not in page and "unpkg" not in page


def test_the_vendor_files_graphiql_needs_are_served_by_the_platform(db):
    # Given the npm packages installed by scripts/ensure-env
    client = Client()
    for name in vendor.FILES:
        # When each listed file is requested, it is served from the platform
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 200, name
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_the_vendor_finder_exposes_only_the_listed_files(db):
    assert Client().get("/static/vendor/react/package.json").status_code == 404
