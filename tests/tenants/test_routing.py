"""Requests reach a town by host and by /t/<code>/; unknown or inactive towns are a clear 404."""

from django.test import Client

from mutualaid.tenants.models import TownStatus


def test_town_by_path_prefix_and_by_host(dagong):
    by_path = Client().get("/t/320685107/")
    by_slug = Client().get("/t/dagong/")
    by_host = Client(HTTP_HOST="dagong.localhost").get("/")
    for response in (by_path, by_slug, by_host):
        assert response.status_code == 200
        assert "大公镇乡村公益医疗互助" in response.content.decode()


def test_public_site_lists_active_towns(towns):
    page = Client().get("/").content.decode()
    assert "大公镇" in page and "新胜镇" in page


def test_unknown_town_is_404_never_the_public_site(towns):
    for response in (
        Client().get("/t/999999999/graphql/"),
        Client(HTTP_HOST="nowhere.localhost").get("/graphql/"),
    ):
        assert response.status_code == 404
        assert "未找到" in response.content.decode()


def test_inactive_town_is_404(dagong):
    dagong.status = TownStatus.SUSPENDED
    dagong.save(update_fields=["status"])
    assert Client().get("/t/320685107/").status_code == 404
    assert Client(HTTP_HOST="dagong.localhost").get("/").status_code == 404
