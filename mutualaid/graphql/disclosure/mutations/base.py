"""What the disclosure mutations share: the error type and town-scoped look-ups."""

from __future__ import annotations

from mutualaid.disclosure.error_codes import DisclosureErrorCode
from mutualaid.disclosure.models import Disclosure, Objection
from mutualaid.graphql.core.errors import NotFound, error_type
from mutualaid.graphql.payouts.types import town_code, town_pk
from mutualaid.platform.accounts.permissions import Target

DisclosureError = error_type("DisclosureError", DisclosureErrorCode)


def disclosure_of(info, global_id: str, field: str = "id") -> Disclosure:
    disclosure = Disclosure.objects.filter(pk=town_pk(info, global_id, "Disclosure", field)).first()
    if disclosure is None:
        raise NotFound(field)
    return disclosure


def objection_of(info, global_id: str, field: str = "id") -> Objection:
    objection = Objection.objects.filter(pk=town_pk(info, global_id, "DisclosureObjection", field)).first()
    if objection is None:
        raise NotFound(field)
    return objection


def town_target(info, **data) -> Target:
    return Target.town(town_code(info))
