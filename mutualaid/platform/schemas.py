"""Switching the connection between the public schema and a town's schema (django-tenants), typed in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import connection


def tenant_connection() -> Any:
    """The default connection with django-tenants' methods (set_tenant, set_schema, set_schema_to_public)."""
    return cast(Any, connection)


def current_schema() -> str:
    return tenant_connection().schema_name


@contextmanager
def town_schema(town) -> Iterator[None]:
    """Run the block inside ``town``'s schema, then return to whatever was active before."""
    conn = tenant_connection()
    previous = conn.tenant
    conn.set_tenant(town)
    try:
        yield
    finally:
        conn.set_tenant(previous)


def use_public_schema() -> None:
    tenant_connection().set_schema_to_public()
