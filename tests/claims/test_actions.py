"""The claims workflow through the action layer: draft, documents, submission, review, decision (with the ledger,
the stored inputs, events, audit, queue and SMS notice), and bad input refused with typed errors, writing nothing."""

from datetime import date, datetime
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from mutualaid.claims import actions, adjudication, application, selectors
from mutualaid.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimState, Decision, SmsNotice
from mutualaid.claims_queue.models import QueueEntry
from mutualaid.funds.ledger import balance_of
from mutualaid.platform import crypto
from mutualaid.platform.audit.models import AuditEvent
from tests.claims.conftest import SHANGHAI, complete, jpeg, stay_data


def code_of(exc: ValidationError) -> tuple[str, str]:
    field, errors = next(iter(exc.error_dict.items()))
    return field, errors[0].code


def reviewed(claim, users):
    application.submit(claim, actor=users["member"])
    return actions.start_review(claim, actor=users["reviewer"])


def test_a_claim_goes_from_draft_to_approved_and_posts_a_payable(scheme, users):
    claim = application.create_claim(scheme.head, stay_data(), actor=users["member"])
    assert claim.state == ClaimState.DRAFT and claim.scheme_year == 2022
    assert claim.bank_card_masked == "6228 **** **** 0018"
    assert crypto.decrypt(claim.bank_card_encrypted) == "6228480402564890018"
    assert "6228480402564890018" not in str(list(AuditEvent.objects.values_list("data", flat=True)))

    # Incomplete: saved, not submittable.
    with pytest.raises(ValidationError) as refused:
        application.submit(claim, actor=users["member"])
    assert code_of(refused.value) == ("documents", "incomplete")
    complete(claim, users["member"])
    claim = application.submit(claim, actor=users["member"])
    # 2023-03-20 is a Monday: five working days later is Monday 27 March.
    assert claim.state == ClaimState.SUBMITTED and claim.due_date == date(2023, 3, 27)
    entry = QueueEntry.objects.get(claim_id=claim.pk)
    assert (entry.town_id, entry.state, entry.due_date) == (scheme.town.pk, "submitted", date(2023, 3, 27))

    claim = actions.start_review(claim, actor=users["reviewer"])
    assert QueueEntry.objects.get(claim_id=claim.pk).state == "in_review"
    claim = actions.approve(claim, actor=users["reviewer"], drg_code="eb19", note="材料齐全")
    assert claim.state == ClaimState.APPROVED and claim.amount_fen == 1_200_000  # 15,000 quota ≤ 12,000 paid
    assert not QueueEntry.objects.filter(claim_id=claim.pk).exists()
    assert balance_of(2022, "payable:subsidies") == 1_200_000
    assert balance_of(2022, "expense:subsidies") == 1_200_000

    decision = Decision.objects.get(claim=claim)
    assert (decision.policy_version, decision.amount_fen, decision.drg_code) == (1, 1_200_000, "EB19")
    assert decision.journal_entry_id is not None
    # The stored inputs re-run to the same decision.
    rerun = adjudication.adjudicate(*adjudication.inputs_from_json(decision.inputs))
    assert rerun.amount_fen == decision.computed_amount_fen == 1_200_000
    assert rerun.to_json() == decision.reasons

    events = list(ClaimEvent.objects.filter(claim=claim).values_list("action", "from_state", "to_state"))
    assert events == [
        ("created", "", "draft"),
        ("document_uploaded", "draft", "draft"),
        ("document_uploaded", "draft", "draft"),
        ("document_uploaded", "draft", "draft"),
        ("submitted", "draft", "submitted"),
        ("review_started", "submitted", "in_review"),
        ("approved", "in_review", "approved"),
    ]
    assert ClaimEvent.objects.get(claim=claim, action="approved").actor_id == users["reviewer"].pk
    assert AuditEvent.objects.filter(action="claims.approved", object_id=str(claim.pk)).exists()
    notice = SmsNotice.objects.get(claim=claim)
    assert "12000.00 元" in notice.text and notice.phone_masked.endswith("1111")


def test_uninsured_members_need_no_insurance_statement_and_are_limited_by_the_total_cost(scheme, users):
    data = stay_data(
        insurance_type="none", total_cost_fen=800_000, insurance_paid_fen=0, out_of_pocket_fen=800_000
    )
    claim = application.create_claim(scheme.head, data, actor=users["coordinator"], channel="village")
    assert application.missing_documents(claim) == ["discharge_record", "cost_list"]
    complete(claim)
    reviewed(claim, users)
    claim = actions.approve(claim, actor=users["reviewer"], drg_code="GB11")
    assert claim.amount_fen == 800_000


def test_bad_input_is_a_typed_error_and_writes_nothing(scheme, users):
    cases = [
        (stay_data(diagnosis_codes=["X99.999"]), ("diagnosis_codes", "unknown_icd_code")),
        (stay_data(procedure_codes=["00.0000"]), ("procedure_codes", "unknown_icd_code")),
        (stay_data(out_of_pocket_fen=1_000_000), ("total_cost_fen", "amounts_do_not_add_up")),
        (stay_data(insurance_paid_fen=-1), ("insurance_paid_fen", "invalid_amount")),
        (stay_data(total_cost_fen=10_000_000_001, insurance_paid_fen=1, out_of_pocket_fen=10_000_000_000),
         ("total_cost_fen", "invalid_amount")),
        (stay_data(admission_date=date(2023, 3, 12), discharge_date=date(2023, 3, 1)),
         ("discharge_date", "dates_reversed")),
        (stay_data(admission_date=date(2021, 3, 1), discharge_date=date(2021, 3, 5)),
         ("admission_date", "outside_scheme_year")),
        (stay_data(bank_card="1234"), ("bank_card", "invalid_bank_card")),
        (stay_data(cause="alien_abduction"), ("cause", "invalid_choice")),
        (stay_data(diagnosis_codes=[]), ("diagnosis_codes", "required")),
    ]  # fmt: skip
    before = (Claim.objects.count(), ClaimEvent.objects.count(), AuditEvent.objects.count())
    for data, expected in cases:
        with pytest.raises(ValidationError) as refused:
            application.create_claim(scheme.head, data, actor=users["member"])
        assert code_of(refused.value) == expected, expected
    with pytest.raises(ValidationError) as refused:
        application.create_claim(scheme.outsider, stay_data(), actor=users["coordinator"])
    assert code_of(refused.value) == ("member", "not_enrolled")
    assert (Claim.objects.count(), ClaimEvent.objects.count(), AuditEvent.objects.count()) == before


def test_uploads_are_typed_by_content_size_limited_and_photos_lose_their_exif(scheme, users, settings):
    claim = application.create_claim(scheme.head, stay_data(), actor=users["member"])
    photo = jpeg(exif_gps=True)
    assert Image.open(BytesIO(photo)).getexif().get(0x8825) is not None
    document = application.upload_document(
        claim, "discharge_record", photo, file_name="a.pdf", actor=users["member"]
    )
    stored = document.file.open("rb").read()
    assert document.content_type == "image/jpeg"
    assert not Image.open(BytesIO(stored)).getexif()
    assert b"PhoneMaker" not in stored

    for content, code in [
        (b"MZ\x90\x00 not a photo", "unsupported_file_type"),
        (b"\xff\xd8\xff broken jpeg", "unsupported_file_type"),
        (b"", "empty_file"),
        (b"%PDF-" + b"0" * (50 * 1024 * 1024), "file_too_large"),
    ]:
        with pytest.raises(ValidationError) as refused:
            application.upload_document(claim, "cost_list", content, file_name="x.jpg", actor=users["member"])
        assert code_of(refused.value) == ("file", code)
    assert ClaimDocument.objects.filter(claim=claim).count() == 1


def test_a_heic_photo_is_stored_as_jpeg_without_metadata(scheme, users):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(out, format="HEIF")
    claim = application.create_claim(scheme.head, stay_data(), actor=users["member"])
    document = application.upload_document(claim, "cost_list", out.getvalue(), actor=users["member"])
    assert document.content_type == "image/jpeg" and document.file.name.endswith(".jpg")


def test_overrides_need_a_reason_and_are_kept_next_to_the_computed_decision(scheme, users):
    claim = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    reviewed(claim, users)
    with pytest.raises(ValidationError) as refused:
        actions.approve(claim, actor=users["reviewer"], drg_code="EB19", amount_fen=500_000)
    assert code_of(refused.value) == ("override_reason", "reason_required")
    with pytest.raises(ValidationError) as refused:
        actions.approve(claim, actor=users["reviewer"], drg_code="QQ99", override_reason="x")
    assert code_of(refused.value) == ("drg_code", "unknown_drg_code")
    with pytest.raises(ValidationError) as refused:
        actions.approve(
            claim, actor=users["reviewer"], drg_code="EB19", amount_fen=1_300_000, override_reason="多给"
        )
    assert code_of(refused.value) == ("amount_fen", "exceeds_out_of_pocket")
    claim = actions.approve(
        claim,
        actor=users["reviewer"],
        drg_code="EB19",
        amount_fen=500_000,
        override_reason="部分费用属自费药品",
    )
    decision = claim.decisions.get()
    assert (decision.computed_amount_fen, decision.amount_fen, decision.amount_overridden) == (
        1_200_000,
        500_000,
        True,
    )
    assert decision.override_reason == "部分费用属自费药品"
    assert balance_of(2022, "payable:subsidies") == 500_000


def test_rules_that_fail_refuse_approval_and_reject_records_the_reasons(scheme, users):
    claim = complete(
        application.create_claim(scheme.head, stay_data(hospital_designated=False), actor=users["member"])
    )
    reviewed(claim, users)
    with pytest.raises(ValidationError) as refused:
        actions.approve(claim, actor=users["reviewer"], drg_code="EB19")
    assert code_of(refused.value) == ("claim", "not_eligible")
    assert "定点医院" in refused.value.error_dict["claim"][0].message
    with pytest.raises(ValidationError):
        actions.reject(claim, actor=users["reviewer"], reason="  ")
    claim = actions.reject(claim, actor=users["reviewer"], reason="非定点医院")
    decision = claim.decisions.get()
    assert decision.outcome == "rejected" and not decision.computed_eligible
    assert any(r["code"] == "designated_hospital" and not r["passed"] for r in decision.reasons)
    assert balance_of(2022, "payable:subsidies") == 0
    # A decided claim cannot be decided again.
    with pytest.raises(ValidationError) as refused:
        actions.approve(claim, actor=users["reviewer"], drg_code="EB19")
    assert code_of(refused.value) == ("state", "wrong_state")


def test_more_information_then_resubmission_restarts_the_clock(scheme, users, clock):
    claim = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    reviewed(claim, users)
    claim = actions.request_info(claim, actor=users["reviewer"], reason="费用清单不清晰，请重新拍照")
    assert claim.state == ClaimState.MORE_INFO and not QueueEntry.objects.filter(claim_id=claim.pk).exists()
    claim = application.update_claim(claim, {"hospital_name": "潼南区中医院"}, actor=users["member"])
    application.upload_document(claim, "cost_list", jpeg(), actor=users["member"])
    clock.set(datetime(2023, 4, 28, 10, 0, tzinfo=SHANGHAI))  # a Friday before the May Day holiday
    claim = application.resubmit(claim, actor=users["member"])
    # Working days by the Chinese calendar: 2023-05-01..03 are holidays, 04-23 and 05-06 make-up working days.
    assert claim.state == ClaimState.RESUBMITTED and claim.due_date == date(2023, 5, 9)
    assert QueueEntry.objects.get(claim_id=claim.pk).state == "resubmitted"


def test_duplicate_stays_and_overdue_claims(scheme, users, clock):
    first = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    second = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    application.submit(first, actor=users["member"])
    application.submit(second, actor=users["member"])
    actions.start_review(second, actor=users["reviewer"])
    with pytest.raises(ValidationError) as refused:
        actions.approve(second, actor=users["reviewer"], drg_code="EB19")
    assert code_of(refused.value) == ("claim", "not_eligible") and "重复" in str(refused.value)
    clock.set(datetime(2023, 4, 10, 9, 0, tzinfo=SHANGHAI))
    assert selectors.overdue_count() == 2
    assert selectors.is_overdue(Claim.objects.get(pk=first.pk))


def test_the_yearly_cap_holds_across_approvals(scheme, users):
    big = dict(total_cost_fen=20_000_000, insurance_paid_fen=10_000_000, out_of_pocket_fen=10_000_000)
    approved = []
    for month in (1, 2, 3):
        claim = complete(application.create_claim(
            scheme.head, stay_data(admission_date=date(2023, month, 1), discharge_date=date(2023, month, 5), **big),
            actor=users["member"],
        ))  # fmt: skip
        reviewed(claim, users)
        approved.append(actions.approve(claim, actor=users["reviewer"], drg_code="GB11", amount_fen=4_000_000,
                                        override_reason="按实际病情核定") if month < 3 else claim)  # fmt: skip
    last = approved[-1]
    with pytest.raises(ValidationError) as refused:
        actions.approve(
            last, actor=users["reviewer"], drg_code="GB11", amount_fen=4_000_000, override_reason="x"
        )
    assert code_of(refused.value) == ("amount_fen", "exceeds_yearly_cap")
    # Without an override the rules give what is left of the cap (10 万 − 8 万).
    assert actions.approve(last, actor=users["reviewer"], drg_code="GB11").amount_fen == 2_000_000


def test_an_approved_claim_is_batched_and_paid_with_its_ledger_movements(scheme, users):
    from mutualaid.funds.postings import post_contribution

    post_contribution(2022, {"person": 5_000_000}, method="cash", reference="fees", memo="", actor=None)
    claim = complete(application.create_claim(scheme.head, stay_data(), actor=users["member"]))
    reviewed(claim, users)
    claim = actions.approve(claim, actor=users["reviewer"], drg_code="EB19")
    with pytest.raises(ValidationError) as refused:
        actions.mark_paid(claim, paid_on=date(2023, 4, 3), reference="B1", actor=users["town_finance"])
    assert code_of(refused.value) == ("state", "wrong_state")
    claim = actions.add_to_batch(claim, batch="2023-04", actor=users["town_admin"])
    claim = actions.mark_paid(
        claim, paid_on=date(2023, 4, 3), reference="BANK-0403", actor=users["town_finance"]
    )
    assert claim.state == ClaimState.PAID
    assert balance_of(2022, "payable:subsidies") == 0
    assert balance_of(2022, "bank") == 5_000_000 - 1_200_000
    assert [e.action for e in claim.events.all()][-2:] == ["batched", "paid"]
    # Recovery of a paid subsidy got by fraud is payouts' alone (a receivable from the member, tests/payouts):
    # claims keeps no second path that would put the money straight back in the bank.
    assert not hasattr(actions, "recover")


def test_extension_codes_keep_their_lower_case_x(scheme, users):
    claim = application.create_claim(
        scheme.head, stay_data(diagnosis_codes=[" a00.000X001 "]), actor=users["member"]
    )
    assert claim.diagnosis_codes == ["A00.000x001"]


def test_a_reviewers_list_is_approved_in_one_transaction_by_the_rules(scheme, users):
    from mutualaid.funds.models import JournalEntry

    big = dict(total_cost_fen=20_000_000, insurance_paid_fen=10_000_000, out_of_pocket_fen=10_000_000)
    claims = []
    for day in (
        2,
        6,
        10,
        14,
        18,
        22,
    ):  # 王大山: six stays, 20,000 each by the table (GB11); the cap is 100,000
        stay = stay_data(admission_date=date(2023, 2, day), discharge_date=date(2023, 2, day + 2), **big)
        claims.append(complete(application.create_claim(scheme.head, stay, actor=users["member"])))
    claims.append(
        complete(application.create_claim(scheme.neighbour, stay_data(hospital_designated=False), actor=None))
    )
    claims.append(complete(application.create_claim(scheme.spouse, stay_data(), actor=None)))
    for claim in claims:
        reviewed(claim, users)
    Claim.objects.filter(pk__in=[c.pk for c in claims[:6]]).update(drg_code="GB11")
    Claim.objects.filter(pk=claims[7].pk).update(drg_code="EB19")
    draft = application.create_claim(scheme.spouse, stay_data(admission_date=date(2023, 1, 5)), actor=None)
    with pytest.raises(ValidationError) as refused:
        actions.approve_many([*claims, draft], actor=users["reviewer"])
    assert code_of(refused.value) == ("claims", "wrong_state")
    approved, left = actions.approve_many(claims, actor=users["reviewer"])
    assert [c.amount_fen for c in approved] == [2_000_000] * 5 + [1_200_000]
    assert [(c.pk, d.failed) for c, d in left] == [
        (claims[5].pk, ("yearly_cap",)),
        (claims[6].pk, ("designated_hospital", "drg_quota")),
    ]
    assert Claim.objects.get(pk=claims[5].pk).state == ClaimState.IN_REVIEW
    entry = JournalEntry.objects.get(kind="expense_accrual")
    assert entry.total_fen == 11_200_000 and entry.line_count == 2
    assert balance_of(2022, "payable:subsidies") == 11_200_000
    assert selectors.approved_so_far(scheme.head.pk, 2022) == 10_000_000
    assert SmsNotice.objects.filter(claim__in=approved).count() == 6
    assert ClaimEvent.objects.filter(action="approved").count() == 6
    assert not QueueEntry.objects.filter(claim_id__in=[c.pk for c in approved]).exists()
    rerun = adjudication.adjudicate(
        *adjudication.inputs_from_json(Decision.objects.get(claim=approved[0]).inputs)
    )
    assert rerun.amount_fen == 2_000_000
