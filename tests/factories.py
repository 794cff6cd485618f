"""Small builders for tests: users holding a role, and GraphQL calls as them."""

from __future__ import annotations

import itertools
import json

from django.test import Client

from mutualaid.platform.accounts.models import RoleAssignment, User

_counter = itertools.count()


def make_user(role: str | None = None, *, is_staff: bool = False, **scope) -> User:
    user = User.objects.create(username=f"user{next(_counter)}", is_staff=is_staff)
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def graphql(
    user: User | None, query: str, variables: dict | None = None, *, town=None, host: str | None = None
):
    """POST a GraphQL request as ``user`` (None: anonymous) to the platform or to ``town`` by path prefix."""
    client = Client(HTTP_HOST=host) if host else Client()
    if user is not None:
        client.force_login(user)
    url = f"/t/{town.code}/graphql/" if town is not None and host is None else "/graphql/"
    response = client.post(
        url, json.dumps({"query": query, "variables": variables or {}}), content_type="application/json"
    )
    assert response.status_code in (200, 400), response.content
    return response.json()
