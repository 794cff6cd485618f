"""Every page of the Django admin opens for platform staff (issue 22, item 4: the index was a 500 because
django-tenants' admin templates read ``request.tenant.schema_name`` and the public site has no tenant)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import make_user


@pytest.fixture
def superuser_client(towns):
    user = make_user(is_staff=True)
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_admin_index_opens_for_the_platform_superuser(superuser_client):
    response = superuser_client.get("/admin/")
    assert response.status_code == 200
    assert "站点管理" in response.content.decode() or "Site administration" in response.content.decode()


def test_every_app_index_and_every_models_changelist_and_add_page_opens(superuser_client):
    registered = admin.site._registry
    assert registered, "no admin models registered"
    app_labels = {model._meta.app_label for model in registered}
    for label in sorted(app_labels):
        response = superuser_client.get(reverse("admin:app_list", args=[label]))
        assert response.status_code == 200, (label, response.status_code)
    for model, model_admin in registered.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = superuser_client.get(changelist)
        assert response.status_code == 200, (changelist, response.status_code)
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        response = superuser_client.get(add)
        expected = 200 if model_admin.has_add_permission(response.wsgi_request) else 403
        assert response.status_code == expected, (add, response.status_code)


def test_each_models_change_page_opens_for_an_existing_row(superuser_client):
    for model in admin.site._registry:
        row = model._default_manager.order_by("pk").first()
        if row is None:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        response = superuser_client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_admin_index_opens_for_staff_without_model_permissions(towns):
    client = Client()
    client.force_login(make_user(is_staff=True))
    assert client.get("/admin/").status_code == 200


def test_admin_refuses_anonymous_and_non_staff(towns):
    assert Client().get("/admin/").status_code == 302
    client = Client()
    client.force_login(make_user())
    assert client.get("/admin/").status_code == 302
