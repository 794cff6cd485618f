"""Global IDs that carry their town (issue 22 item 11).

A town object's relay ID is ``base64("Type:<town code>:<pk>")`` when handed out on a town's endpoint, so the same
row number in another town is another ID; an ID carrying another town is NOT_FOUND wherever it is given (``node``,
or ``pk_from_global_id`` in queries and mutations). Platform objects (public schema) keep ``Type:<pk>``. The
interface is still named ``Node`` (the committed SDL means the same). An ID without a town (handed out before)
is read in the town it is given to."""

from __future__ import annotations

import graphene
from django.db import connection
from django_tenants.utils import get_public_schema_name
from graphene.relay.id_type import DefaultGlobalIDType
from graphql_relay import from_global_id, to_global_id

from mutualaid.graphql.core.errors import NotFoundError


def current_town_code() -> str | None:
    """The code of the town whose schema this request is in; None on the platform (public schema)."""
    if getattr(connection, "schema_name", get_public_schema_name()) == get_public_schema_name():
        return None
    return getattr(connection.tenant, "code", None)  # type: ignore[attr-defined]  # django-tenants' wrapper


def town_scoped(value: str) -> str:
    town = current_town_code()
    return f"{town}:{value}" if town else str(value)


def town_global_id(type_name: str, town_code: str, pk) -> str:
    """The ID a town object has on its town's endpoint, given from elsewhere (the platform's review queue)."""
    return to_global_id(type_name, f"{town_code}:{pk}")


def local_id(value: str) -> str:
    """The primary key part of a decoded global ID's value; an ID of another town raises ValueError."""
    town, separator, pk = str(value).rpartition(":")
    if not separator:
        return value
    if town != current_town_code():
        raise ValueError("another town's ID")
    return pk


class TownGlobalIDType(DefaultGlobalIDType):
    @classmethod
    def resolve_global_id(cls, info, global_id):
        try:
            type_, value = from_global_id(global_id)
            if not type_:
                raise ValueError("no type")
            return type_, local_id(value)
        except Exception as exc:
            raise NotFoundError("对象不存在或无权访问", field="id") from exc

    @classmethod
    def to_global_id(cls, _type, _id):
        return to_global_id(_type, town_scoped(_id))


class Node(graphene.relay.Node):
    """An object with an ID"""

    class Meta:
        name = "Node"
        global_id_type = TownGlobalIDType
