"""A claim's application (申请): filed by the member or for them (a village coordinator, the town office), its stay
edited while it may be, its documents uploaded (cleaned, encrypted at rest, size-checked) and read (audited),
submitted once complete (the review clock starts), and resubmitted after the reviewer asked for more."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from mutualaid.claims import selectors, transitions
from mutualaid.claims.documents import UnsupportedFile, clean
from mutualaid.claims.error_codes import ClaimErrorCode as Code
from mutualaid.claims.models import (
    EDITABLE_STATES,
    Channel,
    Claim,
    ClaimDocument,
    ClaimState,
    DocumentKind,
)
from mutualaid.claims.stay_checks import bank_card, invalid, mask_card, stay_fields
from mutualaid.enrolment.models import Member
from mutualaid.platform import crypto
from mutualaid.platform.audit.actions import record_event
from mutualaid.policies.selectors import policy_for_admission
from mutualaid.policies.values import InsuranceType

DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def max_document_bytes() -> int:
    return int(getattr(settings, "CLAIM_DOCUMENT_MAX_BYTES", DEFAULT_MAX_DOCUMENT_BYTES))


# --- application ------------------------------------------------------------------------------------------------------


@transaction.atomic
def create_claim(member: Member, data: dict, *, actor, channel: str = Channel.SELF) -> Claim:
    """A draft claim for one stay of ``member`` (checked in full: codes, amounts, dates, enrolment)."""
    if channel not in Channel.values:
        raise invalid("channel", "申请渠道不正确", Code.INVALID_CHOICE)
    fields = stay_fields(data, member)
    card = bank_card(data)
    household = member.household
    claim = Claim.objects.create(
        member=member,
        village_code=household.village.code,
        household_id=household.pk,
        channel=channel,
        bank_card_encrypted=crypto.encrypt(card),
        bank_card_masked=mask_card(card),
        created_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
        **fields,
    )
    transitions.record_transition(
        claim, "created", actor, data={"channel": channel, "scheme_year": claim.scheme_year}
    )
    return claim


@transaction.atomic
def update_claim(claim: Claim, data: dict, *, actor) -> Claim:
    """Change a draft (or a claim sent back for more information): the given fields replace the stored ones and
    the whole claim is checked again."""
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, EDITABLE_STATES, "修改")
    current = {
        "hospital_name": claim.hospital_name,
        "hospital_level": claim.hospital_level,
        "hospital_designated": claim.hospital_designated,
        "hospital_mainland": claim.hospital_mainland,
        "admission_date": claim.admission_date,
        "discharge_date": claim.discharge_date,
        "inpatient": claim.inpatient,
        "cause": claim.cause,
        "insurance_type": claim.insurance_type,
        "total_cost_fen": claim.total_cost_fen,
        "insurance_paid_fen": claim.insurance_paid_fen,
        "out_of_pocket_fen": claim.out_of_pocket_fen,
        "diagnosis_codes": claim.diagnosis_codes,
        "procedure_codes": claim.procedure_codes,
        "bank_name": claim.bank_name,
    }
    given = {k: v for k, v in data.items() if v is not None}
    fields = stay_fields({**current, **given}, claim.member)
    if claim.state == ClaimState.MORE_INFO and fields["scheme_year"] != claim.scheme_year:
        raise invalid("admission_date", "补充材料时不能改到另一个互助年度", Code.OUTSIDE_SCHEME_YEAR)
    changed = sorted(k for k, v in fields.items() if getattr(claim, k) != v)
    for key, value in fields.items():
        setattr(claim, key, value)
    if given.get("bank_card"):
        card = bank_card(given)
        claim.bank_card_encrypted, claim.bank_card_masked = crypto.encrypt(card), mask_card(card)
        changed.append("bank_card")
    claim.save()
    transitions.record_transition(claim, "updated", actor, from_state=claim.state, data={"fields": changed})
    return claim


@transaction.atomic
def upload_document(claim: Claim, kind: str, content: bytes, *, file_name: str = "", actor) -> ClaimDocument:
    """Store one document (photo or PDF; type by content, size-limited, photos without EXIF)."""
    if kind not in DocumentKind.values:
        raise invalid("kind", "材料类别不正确", Code.INVALID_CHOICE)
    if not content:
        raise invalid("file", "文件为空", Code.EMPTY_FILE)
    check_document_size(len(content))
    try:
        cleaned = clean(content)
    except UnsupportedFile as exc:
        raise invalid(
            "file", f"{exc}；请上传照片（JPEG、PNG、HEIC）或 PDF", Code.UNSUPPORTED_FILE_TYPE
        ) from exc
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, EDITABLE_STATES, "上传材料")
    digest = hashlib.sha256(cleaned.content).hexdigest()
    document = ClaimDocument(
        claim=claim,
        kind=kind,
        content_type=cleaned.content_type,
        size=len(cleaned.content),
        sha256=digest,
        original_name=(file_name or "").strip()[:200],
        uploaded_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
    )
    document.file.save(
        f"{transitions.town_code()}-{claim.pk}-{kind}-{digest[:12]}.{cleaned.extension}",
        ContentFile(cleaned.content),
        save=False,
    )
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    transitions.record_transition(
        claim,
        "document_uploaded",
        actor,
        from_state=claim.state,
        data={"kind": kind, "document": document.pk},
    )
    return document


def record_document_read(document: ClaimDocument, *, actor) -> None:
    """A document was opened (the caller checked the permission): who read which one, never its content."""
    record_event(
        actor, "claims.document_read", document.claim, {"document": document.pk, "kind": document.kind}
    )


def check_document_size(size: int) -> None:
    limit = max_document_bytes()
    if size > limit:
        raise invalid("file", f"文件过大（不超过 {limit // (1024 * 1024)} MB）", Code.FILE_TOO_LARGE)


def required_documents(claim: Claim) -> list[str]:
    kinds = [DocumentKind.DISCHARGE_RECORD, DocumentKind.COST_LIST]
    if claim.insurance_type != InsuranceType.NONE:
        kinds.append(DocumentKind.INSURANCE_STATEMENT)
    return [str(k) for k in kinds]


def missing_documents(claim: Claim) -> list[str]:
    present = set(claim.documents.values_list("kind", flat=True))
    return [k for k in required_documents(claim) if k not in present]


def _require_complete(claim: Claim) -> None:
    missing = missing_documents(claim)
    if missing:
        labels = "、".join(str(DocumentKind(k).label) for k in missing)
        raise invalid("documents", f"材料不全，缺少：{labels}；已保存为草稿，补齐后再提交", Code.INCOMPLETE)


def _start_clock(claim: Claim) -> None:
    now = selectors.now()
    policy = policy_for_admission(claim.admission_date)
    days = (policy.review_working_days if policy else None) or 5
    claim.submitted_at = now
    claim.due_date = selectors.add_working_days(timezone.localdate(now), days)


@transaction.atomic
def submit(claim: Claim, *, actor) -> Claim:
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.DRAFT,), "提交")
    _require_complete(claim)
    claim.state = ClaimState.SUBMITTED
    claim.filed_on = selectors.today()
    _start_clock(claim)
    claim.save(update_fields=["state", "filed_on", "submitted_at", "due_date", "updated_at"])
    transitions.record_transition(
        claim, "submitted", actor, from_state=ClaimState.DRAFT, data={"due_date": str(claim.due_date)}
    )
    transitions.sync_queue(claim)
    return claim


@transaction.atomic
def resubmit(claim: Claim, *, actor, note: str = "") -> Claim:
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.MORE_INFO,), "重新提交")
    _require_complete(claim)
    claim.state = ClaimState.RESUBMITTED
    _start_clock(claim)
    claim.save(update_fields=["state", "submitted_at", "due_date", "updated_at"])
    transitions.record_transition(
        claim, "resubmitted", actor, from_state=ClaimState.MORE_INFO, reason=note[:500]
    )
    transitions.sync_queue(claim)
    return claim
