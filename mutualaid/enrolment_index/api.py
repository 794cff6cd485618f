"""Reads and writes of the cross-town index, called from inside a town's schema (the public table is on the
search path). Everything here takes hashes, never ID numbers."""

from __future__ import annotations

from collections.abc import Iterable

from mutualaid.enrolment_index.models import EnrolledPerson


class EnrolledElsewhere(Exception):
    def __init__(self, hashes: set[str]):
        super().__init__(f"{len(hashes)} person(s) already enrolled in another town")
        self.hashes = hashes


def enrolled_elsewhere(id_hashes: Iterable[str], town_code: str, scheme_year: int) -> set[str]:
    """The hashes among ``id_hashes`` already enrolled in another town in ``scheme_year``."""
    hashes = list(set(id_hashes))
    if not hashes:
        return set()
    return set(
        EnrolledPerson.objects.filter(id_hash__in=hashes, scheme_year=scheme_year)
        .exclude(town_code=town_code)
        .values_list("id_hash", flat=True)
    )


def claim(id_hashes: Iterable[str], town_code: str, scheme_year: int) -> None:
    """Record the persons as enrolled in ``town_code``; raise EnrolledElsewhere (writing nothing) when any of them
    is enrolled in another town that year, also under a concurrent enrolment (the unique constraint decides)."""
    hashes = sorted(set(id_hashes))
    if not hashes:
        return
    taken = enrolled_elsewhere(hashes, town_code, scheme_year)
    if taken:
        raise EnrolledElsewhere(taken)
    EnrolledPerson.objects.bulk_create(
        [EnrolledPerson(id_hash=h, town_code=town_code, scheme_year=scheme_year) for h in hashes],
        ignore_conflicts=True,
        batch_size=5000,
    )
    taken = enrolled_elsewhere(hashes, town_code, scheme_year)
    if taken:  # another town won a race between the check and the insert
        raise EnrolledElsewhere(taken)
