"""Draft → published; published versions are immutable; amendments are new versions with a date and reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.platform.audit.models import AuditEvent
from mutualaid.policies import actions
from mutualaid.policies.models import PolicyVersion, SubsidyEntry
from mutualaid.policies.terms import FundingShare
from mutualaid.policies.values import PolicyStatus, SubsidyRow


def codes(exc: ValidationError) -> set[tuple[str, str]]:
    return {(field, error.code) for field, errors in exc.error_dict.items() for error in errors}


def test_a_new_scheme_year_starts_as_an_unpublishable_draft(in_dagong, drg_catalogue):
    draft = actions.create_draft(2024, None)

    assert draft.status == PolicyStatus.DRAFT and draft.version == 1
    with pytest.raises(ValidationError) as raised:
        actions.publish(draft, None)
    found = codes(raised.value)
    assert ("fee_per_person_fen", "required") in found
    assert ("subsidy_table", "subsidy_table_empty") in found
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT


def test_a_scheme_year_is_created_once(in_dagong):
    actions.create_draft(2024, None)

    with pytest.raises(ValidationError) as raised:
        actions.create_draft(2024, None)
    assert ("scheme_year", "scheme_year_exists") in codes(raised.value)


def test_a_draft_built_step_by_step_publishes(in_dagong, drg_catalogue):
    draft = actions.create_draft(2024, None)
    actions.update_draft(
        draft,
        None,
        fee_per_person_fen=4500,
        register_snapshot_date=date(2024, 8, 31),
        enrolment_opens=date(2024, 9, 15),
        enrolment_closes=date(2024, 10, 31),
        coverage_start=date(2024, 11, 1),
        coverage_end=date(2025, 10, 31),
        claim_deadline=date(2025, 12, 31),
        per_stay_min_fen=300_00,
        per_stay_max_fen=50000_00,
        yearly_cap_fen=100000_00,
        drg_catalogue_version="chs-drg-1.1",
    )
    actions.set_funding_shares(
        draft, [FundingShare("person", 2500), FundingShare("town_finance", 2000)], None
    )
    from mutualaid.policies.presets import XINSHENG_2022

    actions.set_thresholds(draft, XINSHENG_2022.values.thresholds, None)
    actions.set_subsidy_table(draft, [SubsidyRow("ES31", 2500_00, "呼吸系统感染/炎症")], None)

    published = actions.publish(draft, None)

    assert published.status == PolicyStatus.PUBLISHED
    assert published.published_at is not None
    assert AuditEvent.objects.filter(action="policy.publish", object_id=str(published.pk)).count() == 1


def test_a_published_version_cannot_be_saved(xinsheng_policy):
    xinsheng_policy.fee_per_person_fen = 5000

    with pytest.raises(ValidationError) as raised:
        xinsheng_policy.save()
    assert ("policy", "published_immutable") in codes(raised.value)
    assert PolicyVersion.objects.get(pk=xinsheng_policy.pk).fee_per_person_fen == 4500


def test_a_stale_copy_of_the_draft_cannot_overwrite_the_published_version(in_xinsheng, drg_catalogue):
    draft = actions.apply_preset("xinsheng-2022", None)
    stale = PolicyVersion.objects.get(pk=draft.pk)
    actions.publish(draft, None)

    stale.fee_per_person_fen = 1
    with pytest.raises(ValidationError):
        stale.save()
    assert PolicyVersion.objects.get(pk=draft.pk).fee_per_person_fen == 4500


def test_a_published_version_cannot_be_updated_through_querysets_or_deleted(xinsheng_policy):
    with pytest.raises(ValidationError):
        PolicyVersion.objects.filter(pk=xinsheng_policy.pk).update(fee_per_person_fen=1)
    with pytest.raises(ValidationError):
        PolicyVersion.objects.filter(pk=xinsheng_policy.pk).delete()
    with pytest.raises(ValidationError):
        xinsheng_policy.delete()
    assert PolicyVersion.objects.get(pk=xinsheng_policy.pk).fee_per_person_fen == 4500


def test_the_subsidy_table_of_a_published_version_cannot_change(xinsheng_policy):
    entry = xinsheng_policy.subsidy_entries.first()
    before = entry.amount_fen
    entry.amount_fen += 100

    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        SubsidyEntry.objects.filter(policy=xinsheng_policy).update(amount_fen=1)
    with pytest.raises(ValidationError):
        SubsidyEntry.objects.bulk_create(
            [SubsidyEntry(policy=xinsheng_policy, drg_code="GZ15", amount_fen=300_00)]
        )
    with pytest.raises(ValidationError):
        SubsidyEntry.objects.create(policy=xinsheng_policy, drg_code="GZ15", amount_fen=300_00)
    assert SubsidyEntry.objects.get(pk=entry.pk).amount_fen == before


@pytest.mark.parametrize(
    "operation",
    [
        lambda p: actions.update_draft(p, None, fee_per_person_fen=5000),
        lambda p: actions.set_funding_shares(p, [FundingShare("person", 4500)], None),
        lambda p: actions.set_special_groups(p, [], None),
        lambda p: actions.set_thresholds(p, [], None),
        lambda p: actions.set_subsidy_table(p, [SubsidyRow("ES31", 300_00)], None),
        lambda p: actions.scale_subsidy_table(p, __import__("decimal").Decimal("1.1"), None),
        lambda p: actions.publish(p, None),
    ],
    ids=["update", "shares", "groups", "thresholds", "table", "scale", "publish"],
)
def test_every_draft_action_refuses_a_published_version(xinsheng_policy, operation):
    with pytest.raises(ValidationError) as raised:
        operation(xinsheng_policy)

    assert ("policy", "published_immutable") in codes(raised.value)


def test_an_amendment_is_a_new_draft_version_with_date_and_reason(xinsheng_policy):
    draft = actions.amend(xinsheng_policy, date(2023, 3, 1), "按实际参加人数重新测算定额", None)

    assert (draft.version, draft.status, draft.based_on_id) == (2, PolicyStatus.DRAFT, xinsheng_policy.pk)
    assert draft.effective_from == date(2023, 3, 1)
    assert draft.amendment_reason == "按实际参加人数重新测算定额"
    assert draft.fee_per_person_fen == 4500
    assert draft.subsidy_entries.count() == xinsheng_policy.subsidy_entries.count()
    assert draft.defaulted_fields == xinsheng_policy.defaulted_fields
    assert AuditEvent.objects.filter(action="policy.amend", object_id=str(draft.pk)).exists()


def test_an_amendment_needs_a_reason(xinsheng_policy):
    with pytest.raises(ValidationError) as raised:
        actions.amend(xinsheng_policy, date(2023, 3, 1), "  ", None)

    assert ("reason", "reason_required") in codes(raised.value)
    assert PolicyVersion.objects.count() == 1


def test_only_one_draft_per_scheme_year(xinsheng_policy):
    actions.amend(xinsheng_policy, date(2023, 3, 1), "一", None)

    with pytest.raises(ValidationError) as raised:
        actions.amend(xinsheng_policy, date(2023, 4, 1), "二", None)
    assert ("policy", "draft_exists") in codes(raised.value)


def test_an_amendment_effective_outside_the_scheme_year_cannot_be_published(xinsheng_policy):
    draft = actions.amend(xinsheng_policy, date(2024, 3, 1), "太晚了", None)

    with pytest.raises(ValidationError) as raised:
        actions.publish(draft, None)
    assert ("effective_from", "effective_date_outside_coverage") in codes(raised.value)


def test_a_drafts_explicit_change_clears_its_default_mark(in_dagong, drg_catalogue):
    draft = actions.apply_preset("haian-2022", None)
    assert "coverage_start" in draft.defaulted_fields

    actions.update_draft(draft, None, coverage_start=date(2022, 7, 1))
    actions.set_funding_shares(
        draft, [FundingShare("person", 5000), FundingShare("village_collective", 5000)], None
    )

    draft.refresh_from_db()
    assert "coverage_start" not in draft.defaulted_fields
    assert not [name for name in draft.defaulted_fields if name.startswith("funding_shares")]


def test_every_change_is_audited(in_dagong, drg_catalogue):
    draft = actions.create_draft(2025, None)
    actions.update_draft(draft, None, fee_per_person_fen=4500)

    events = list(
        AuditEvent.objects.filter(object_id=str(draft.pk)).order_by("pk").values_list("action", flat=True)
    )
    assert events == ["policy.create_draft", "policy.update_draft"]


def test_update_refuses_unknown_fields_and_bad_values(in_dagong):
    draft = actions.create_draft(2025, None)

    with pytest.raises(ValidationError):
        actions.update_draft(draft, None, status="published")
    with pytest.raises(ValidationError) as raised:
        actions.update_draft(draft, None, target_person_share_bp=20000)
    assert ("target_person_share_bp", "out_of_range") in codes(raised.value)
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT and draft.target_person_share_bp is None


def test_applying_a_preset_again_is_idempotent(in_xinsheng, drg_catalogue):
    first = actions.apply_preset("500152116", None, publish=True)
    again = actions.apply_preset("500152116", None, publish=True)

    assert again.pk == first.pk
    assert PolicyVersion.objects.count() == 1


def test_an_unknown_preset_is_a_typed_error(in_dagong):
    with pytest.raises(ValidationError) as raised:
        actions.apply_preset("nowhere-2022", None)

    assert ("key", "unknown_preset") in codes(raised.value)


def test_the_demo_step_publishes_the_right_preset_per_town(towns, drg_catalogue):
    from django.db import connection

    from mutualaid.policies.presets import publish_demo_preset
    from mutualaid.project.demo import town_demo_steps

    assert publish_demo_preset in town_demo_steps()
    expected = {"320685107": "haian-2022", "320685109": "haian-2022", "500152116": "xinsheng-2022"}
    for code, key in expected.items():
        connection.set_tenant(towns[code])
        try:
            publish_demo_preset(towns[code])
            publish_demo_preset(towns[code])  # idempotent
            policy = PolicyVersion.objects.get()
            assert (policy.preset_key, policy.status) == (key, PolicyStatus.PUBLISHED)
        finally:
            connection.set_schema_to_public()


def test_the_database_refuses_raw_writes_to_a_published_version(xinsheng_policy):
    from django.db import DatabaseError, connection, transaction

    for sql in (
        "UPDATE policies_policyversion SET fee_per_person_fen = 1 WHERE id = %s",
        "DELETE FROM policies_policyversion WHERE id = %s",
        "UPDATE policies_subsidyentry SET amount_fen = 1 WHERE policy_id = %s",
        "DELETE FROM policies_subsidyentry WHERE policy_id = %s",
        "INSERT INTO policies_subsidyentry (policy_id, drg_code, drg_name, amount_fen) VALUES (%s, 'GZ15', '', 30000)",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [xinsheng_policy.pk])
    assert PolicyVersion.objects.get(pk=xinsheng_policy.pk).fee_per_person_fen == 4500


def test_the_database_lets_drafts_change(in_xinsheng, drg_catalogue):
    from django.db import connection

    draft = actions.apply_preset("xinsheng-2022", None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE policies_subsidyentry SET amount_fen = 40000 WHERE policy_id = %s", [draft.pk])
        cursor.execute(
            "UPDATE policies_policyversion SET fee_per_person_fen = 4600 WHERE id = %s", [draft.pk]
        )
        cursor.execute("DELETE FROM policies_subsidyentry WHERE policy_id = %s", [draft.pk])
        cursor.execute("DELETE FROM policies_policyversion WHERE id = %s", [draft.pk])


def test_update_reports_every_bad_field_at_once(in_dagong):
    draft = actions.create_draft(2025, None)

    with pytest.raises(ValidationError) as raised:
        actions.update_draft(
            draft, None, fee_per_person_fen=-1, review_working_days=0, target_village_share_bp=0
        )

    assert codes(raised.value) == {
        ("fee_per_person_fen", "not_positive"),
        ("review_working_days", "out_of_range"),
        ("target_village_share_bp", "out_of_range"),
    }


def test_an_onboarded_pilot_town_starts_with_its_preset_as_a_draft(in_yazhou, towns):
    from mutualaid.policies.presets import seed_preset_draft

    seed_preset_draft(town=in_yazhou)

    draft = PolicyVersion.objects.get()
    assert (draft.preset_key, draft.status) == ("haian-2022", PolicyStatus.DRAFT)


def test_an_onboarded_town_without_a_preset_starts_empty(in_dagong):
    from types import SimpleNamespace

    from mutualaid.policies.presets import seed_preset_draft

    seed_preset_draft(town=SimpleNamespace(code="320685100"))

    assert not PolicyVersion.objects.exists()
