"""participation() with by_village counts with three aggregate queries whatever the number of villages, and its
town figures are the sums of its villages' (issue 22 item 16; the timing is bench/participation.py's). Here the
test's transaction wrote the data, so every call counts afresh (the stored figures' check, then the three
queries); the stored figures' hot path is in test_participation_figures.py."""

from __future__ import annotations

from mutualaid.enrolment.participation import participation


def test_participation_by_village_is_three_queries_and_adds_up(
    in_xinsheng, build, xinsheng_terms, django_assert_num_queries
):
    villages = [build.village() for _ in range(4)]
    households = [build.family(village, size=2 + i % 2) for i, village in enumerate(villages * 2)]
    with django_assert_num_queries(4):
        found = participation(xinsheng_terms, by_village=True)
    assert len(found.by_village) >= 4
    assert (
        found.eligible_people
        == sum(v.eligible_people for v in found.by_village)
        == sum(h.members.count() for h in households)
    )
    assert found.eligible_households == len(households)
    assert found.villages == len(found.by_village)
    with django_assert_num_queries(4):
        participation(xinsheng_terms)
