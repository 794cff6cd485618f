"""Per-request loaders of the enrolment types: related rows in one query per list level, and unmasked personal
data decrypted and audited once per batch."""

from __future__ import annotations

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import EnrolledMember, Household, Member, Village
from mutualaid.graphql.core.loaders import get_loader
from mutualaid.graphql.enrolment.context import current_user, town_code
from mutualaid.platform.accounts.permissions import has_permission


def personal_data_loader(info):
    """Unmasked ID/phone numbers keyed by (member, field) for a list level: decrypted and audited once per batch."""

    def load(keys):
        members = list({member.pk: member for member, _ in keys}.values())
        data = actions.read_personal_data(members, current_user(info), {field for _, field in keys})
        return [data[member.pk][field] or None for member, field in keys]

    return get_loader(info, "enrolment:personal_data", load)


def _per_village(info, name: str, member, decide) -> bool:
    """A permission answer per request and village: the same for every member of the village, so a page of 100
    households asks ``has_permission`` once per village and rule, not once per member and field."""
    answers = getattr(info.context, "_enrolment_village_answers", None)
    if answers is None:
        answers = info.context._enrolment_village_answers = {}
    key = (name, member.household.village.code)
    if key not in answers:
        answers[key] = decide(key[1])
    return answers[key]


def may_read_personal_data(info, member) -> bool:
    return _per_village(
        info,
        "personal_data",
        member,
        lambda code: has_permission(
            current_user(info), perms.READ_PERSONAL_DATA, perms.village(town_code(info), code)
        ),
    )


def is_reviewer_view(info, member) -> bool:
    return _per_village(
        info,
        "reviewer_view",
        member,
        lambda code: not perms.sees_full_names(current_user(info), town_code(info), code),
    )


def enrolled_loader(info, scheme_year: int):
    def load(member_ids):
        found = set(
            EnrolledMember.objects.filter(member_id__in=member_ids, scheme_year=scheme_year).values_list(
                "member_id", flat=True
            )
        )
        return [member_id in found for member_id in member_ids]

    return get_loader(info, f"enrolment:enrolled:{scheme_year}", load)


def members_by_household_loader(info):
    """Members keyed by their household (the instance the list resolved): each member gets that instance, and
    households without their village get it from one query, so a page of 100 households makes 100 villages'
    worth of model instances fewer than three per member (select_related would)."""

    def load(households: list[Household]) -> list[list[Member]]:
        missing = {h.village_id for h in households if not Household.village.is_cached(h)}
        villages = Village.objects.in_bulk(missing) if missing else {}
        for household in households:
            if household.village_id in villages:
                household.village = villages[household.village_id]
        by_id = {h.pk: h for h in households}
        rows: dict[int, list] = {pk: [] for pk in by_id}
        for member in Member.objects.filter(household_id__in=list(by_id)):
            member.household = by_id[member.household_id]
            rows[member.household_id].append(member)
        return [rows[h.pk] for h in households]

    return get_loader(info, "enrolment:members_by_household", load)


def head_names(member_ids):
    names = dict(Member.objects.filter(pk__in=member_ids).values_list("id", "name"))
    return [names.get(pk) for pk in member_ids]
