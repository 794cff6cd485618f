"""The request's town, user and the villages they may see; objects looked up from IDs (missing or forbidden is
NOT_FOUND); the published terms of a scheme year."""

from __future__ import annotations

from django.db.models import Q

from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import Village
from mutualaid.graphql.core.mutations import NotFound, pk_from_global_id
from mutualaid.policies import selectors


def town_code(info) -> str:
    return info.context.tenant.code


def current_user(info):
    return info.context.user


def villages_filter(info, rule, field: str) -> Q:
    """Rows of the villages the caller may see under ``rule`` (``field`` leads to the village code)."""
    codes = perms.visible_villages(current_user(info), rule, town_code(info))
    return Q() if codes is None else Q(**{f"{field}__in": codes})


def terms_for(scheme_year: int):
    return selectors.enrolment_terms(scheme_year)  # looked up at call time (tests replace it)


def village_or_404(code: str | None, field: str = "villageCode") -> Village:
    village = Village.objects.filter(code=code or "").first()
    if village is None:
        raise NotFound(field)
    return village


def object_or_404(model, global_id: str, type_name: str, field: str, *related):
    pk = pk_from_global_id(global_id, type_name, field)
    found = model.objects.select_related(*related).filter(pk=pk).first()
    if found is None:
        raise NotFound(field)
    return found
