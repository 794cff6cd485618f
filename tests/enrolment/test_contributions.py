"""Contributions: what was actually received, posted to the ledger; fees are not refunded, a recording error is
reversed with a reason, never edited."""

import logging

import pytest
from django.core.exceptions import ValidationError

from mutualaid.enrolment import actions, rules
from mutualaid.enrolment.models import Contribution, ContributionReversal
from mutualaid.funds.models import EntryKind, JournalEntry
from mutualaid.platform.audit.models import AuditEvent
from tests.enrolment.conftest import HAIAN_2022, XINSHENG_2022, XINSHENG_OPEN
from tests.factories import make_user


def _code(exc_info) -> str:
    return next(iter(exc_info.value.error_dict.values()))[0].code


@pytest.fixture
def enrolled(in_xinsheng, build):
    admin = make_user("town_admin", town=in_xinsheng)
    household = build.family(build.village(), size=3)
    [enrolment] = actions.enrol_households([household], XINSHENG_2022, now=XINSHENG_OPEN, actor=admin)
    return enrolment, admin


def test_xinsheng_fee_split_is_pure_and_adds_up_to_45_yuan():
    assert rules.member_fee(XINSHENG_2022, []) == {
        "person": 2500,
        "town_finance": 1000,
        "charity": 500,
        "enterprise": 500,
    }
    assert rules.member_fee(XINSHENG_2022, ["tekun"]) == {
        "town_finance": 3500,
        "charity": 500,
        "enterprise": 500,
    }
    assert sum(rules.member_fee(XINSHENG_2022, ["dibao", "orphan"]).values()) == 4500


def test_haian_fee_is_100_yuan_person_50_rest_town_and_village():
    assert rules.member_fee(HAIAN_2022, []) == {
        "person": 5000,
        "town_finance": 2500,
        "village_collective": 2500,
    }
    assert rules.member_fee(HAIAN_2022, ["dibao"]) == {}


def test_cash_collected_by_the_coordinator_posts_to_the_ledger(enrolled):
    enrolment, admin = enrolled
    contribution = actions.record_contribution(
        enrolment, method="cash", receipt_number="XS-0001", amounts_by_source={"person": 7500}, actor=admin
    )
    entry = JournalEntry.objects.get(pk=contribution.journal_entry_id)
    assert entry.kind == EntryKind.CONTRIBUTION and entry.method == "cash"
    assert actions.outstanding_by_source(enrolment) == {
        "town_finance": 3000,
        "charity": 1500,
        "enterprise": 1500,
    }
    rest = actions.record_contribution(
        enrolment, method="bank_transfer", receipt_number="XS-0002", reference="BANK-778899", actor=admin
    )
    assert rest.amounts_by_source == {"town_finance": 3000, "charity": 1500, "enterprise": 1500}
    assert actions.outstanding_by_source(enrolment) == {}
    assert AuditEvent.objects.filter(action="enrolment.contribution.recorded").count() == 2


def test_overpayment_duplicate_receipts_and_missing_references_are_refused_and_nothing_posts(enrolled):
    enrolment, admin = enrolled
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.record_contribution(
            enrolment, method="cash", receipt_number="R1", amounts_by_source={"person": 7501}, actor=admin
        )
    assert _code(exc) == "overpayment"
    with pytest.raises(ValidationError) as exc:
        actions.record_contribution(enrolment, method="mobile_payment", receipt_number="R1", actor=admin)
    assert _code(exc) == "required"
    with pytest.raises(ValidationError) as exc:
        actions.record_contribution(enrolment, method="cheque", receipt_number="R1", actor=admin)
    assert _code(exc) == "invalid_method"
    actions.record_contribution(
        enrolment, method="cash", receipt_number="R1", amounts_by_source={"person": 100}, actor=admin
    )
    with pytest.raises(ValidationError) as exc:
        actions.record_contribution(
            enrolment, method="cash", receipt_number="R1", amounts_by_source={"person": 100}, actor=admin
        )
    assert _code(exc) == "duplicate_receipt"
    assert JournalEntry.objects.count() == entries + 1


def test_xinsheng_fees_are_not_refunded_a_recording_error_is_reversed_with_a_reason(enrolled):
    enrolment, admin = enrolled
    wrong = actions.record_contribution(
        enrolment, method="cash", receipt_number="R9", amounts_by_source={"person": 5000}, actor=admin
    )
    with pytest.raises(ValidationError) as exc:
        actions.reverse_contribution(wrong, reason="  ", actor=admin)
    assert _code(exc) == "required"
    reversal = actions.reverse_contribution(wrong, reason="金额录错，应为 75 元", actor=admin)
    original = JournalEntry.objects.get(pk=wrong.journal_entry_id)
    assert JournalEntry.objects.get(pk=reversal.journal_entry_id).reverses_id == original.pk
    wrong.refresh_from_db()
    assert wrong.amount_fen == 5000  # never edited
    assert actions.outstanding_by_source(enrolment)["person"] == 7500
    with pytest.raises(ValidationError) as exc:
        actions.reverse_contribution(wrong, reason="again", actor=admin)
    assert _code(exc) == "already_reversed"
    assert ContributionReversal.objects.count() == 1 and Contribution.objects.count() == 1


def test_personal_data_never_reaches_the_logs(in_xinsheng, build, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make_user("town_admin", town=in_xinsheng)
    household = build.household(build.village())
    member = actions.add_member(
        household, name="陈某", id_number="11010519491231002X", relation="户主", insurance_type="居民",
        registered_on="2001-01-01", phone="13900001111", actor=admin,
    )  # fmt: skip
    actions.update_member(member, phone="13900002222", actor=admin)
    actions.read_personal_data([member], admin, ["id_number", "phone"])
    logging.getLogger("mutualaid").info("member %s phone %s", "11010519491231002X", "13900001111")
    text = caplog.text + " ".join(str(e.data) for e in AuditEvent.objects.all())
    for secret in ("11010519491231002X", "13900001111", "13900002222"):
        assert secret not in text
