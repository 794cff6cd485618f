"""Types of the claims API: claims (amounts in yuan, the bank card masked), their documents (metadata; the content
only through ``claimDocumentDownload``), events, decisions with their reasons, and the reviewers' queue."""

from __future__ import annotations

import graphene
from graphene_django import DjangoObjectType

from mutualaid.claims import permissions as perms
from mutualaid.claims import selectors
from mutualaid.claims.application import required_documents
from mutualaid.claims.models import (
    Cause,
    Channel,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimState,
    Decision,
    DecisionOutcome,
    DocumentKind,
    HospitalLevel,
)
from mutualaid.claims_queue.models import QueueEntry
from mutualaid.enrolment.models import Member
from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.loaders import get_loader
from mutualaid.graphql.core.node import Node, town_global_id
from mutualaid.graphql.core.values import yuan
from mutualaid.platform import crypto
from mutualaid.policies.values import InsuranceType

ClaimStateEnum = graphene.Enum.from_enum(ClaimState, name="ClaimState", description="申请状态")
ChannelEnum = graphene.Enum.from_enum(Channel, name="ClaimChannel", description="申请渠道")
HospitalLevelEnum = graphene.Enum.from_enum(HospitalLevel, name="ClaimHospitalLevel", description="医院等级")
CauseEnum = graphene.Enum.from_enum(Cause, name="ClaimCause", description="住院原因")
ClaimInsuranceEnum = graphene.Enum.from_enum(
    InsuranceType, name="ClaimInsuranceType", description="入院时基本医保"
)
DocumentKindEnum = graphene.Enum.from_enum(DocumentKind, name="ClaimDocumentKind", description="申请材料")
OutcomeEnum = graphene.Enum.from_enum(DecisionOutcome, name="ClaimDecisionOutcome")


class ReasonType(graphene.ObjectType):
    class Meta:
        name = "ClaimDecisionReason"
        description = "一条审核理由：规则代码、是否通过、中文说明"

    code = graphene.String(required=True)
    passed = graphene.Boolean(required=True)
    message = graphene.String(required=True)


def reasons(items) -> list[ReasonType]:
    return [ReasonType(code=r["code"], passed=r["passed"], message=r["message"]) for r in items]


class AdjudicationType(graphene.ObjectType):
    """按规则计算的结果（不写入任何数据）。"""

    class Meta:
        name = "ClaimAdjudication"

    eligible = graphene.Boolean(required=True)
    amount = graphene.String(required=True, description="规则计算补助（元）")
    quota = graphene.String(description="病组补助定额（元）")
    drg_code = graphene.String()
    policy_version = graphene.Int()
    reasons = graphene.List(graphene.NonNull(ReasonType), required=True)

    @staticmethod
    def of(decision) -> AdjudicationType:
        return AdjudicationType(
            eligible=decision.eligible,
            amount=yuan(decision.amount_fen),
            quota=yuan(decision.quota_fen),
            drg_code=decision.drg_code or None,
            policy_version=decision.policy_version,
            reasons=reasons(decision.to_json()),
        )


class ClaimDecisionType(DjangoObjectType):
    outcome = OutcomeEnum(required=True)
    computed_amount = graphene.String(required=True, description="规则计算补助（元）")
    amount = graphene.String(required=True, description="核定补助（元）")
    reasons = graphene.List(graphene.NonNull(ReasonType), required=True)

    class Meta:
        model = Decision
        name = "ClaimDecision"
        fields = (
            "policy_version",
            "scheme_year",
            "computed_eligible",
            "computed_drg_code",
            "drg_code",
            "amount_overridden",
            "drg_overridden",
            "override_reason",
            "note",
            "decided_at",
        )

    def resolve_computed_amount(decision, info):
        return yuan(decision.computed_amount_fen)

    def resolve_amount(decision, info):
        return yuan(decision.amount_fen)

    def resolve_reasons(decision, info):
        return reasons(decision.reasons)


class ClaimEventType(DjangoObjectType):
    to_state = graphene.String()
    from_state = graphene.String()

    class Meta:
        model = ClaimEvent
        name = "ClaimEvent"
        fields = ("action", "reason", "actor_username", "at")

    def resolve_from_state(event, info):
        return event.from_state or None

    def resolve_to_state(event, info):
        return event.to_state or None


class ClaimDocumentType(DjangoObjectType):
    kind = DocumentKindEnum(required=True)

    class Meta:
        model = ClaimDocument
        name = "ClaimDocument"
        fields = ("id", "content_type", "size", "original_name", "uploaded_at")
        interfaces = (Node,)


def _group(rows, key) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def _documents(keys):
    grouped = _group(
        ClaimDocument.objects.filter(claim_id__in=keys).order_by("kind", "id"), lambda d: d.claim_id
    )
    return [grouped.get(k, []) for k in keys]


def _events(keys):
    grouped = _group(ClaimEvent.objects.filter(claim_id__in=keys).order_by("at", "id"), lambda e: e.claim_id)
    return [grouped.get(k, []) for k in keys]


def _decisions(keys):
    grouped = _group(
        Decision.objects.filter(claim_id__in=keys).order_by("-decided_at", "-id"), lambda d: d.claim_id
    )
    return [grouped.get(k, []) for k in keys]


def _latest_decision(keys):
    return [found[0] if found else None for found in _decisions(keys)]


def _names(keys):
    names = dict(Member.objects.filter(pk__in={k[0] for k in keys}).values_list("pk", "name"))
    return [names.get(pk, "") if full else crypto.mask_name(names.get(pk, "")) for pk, full in keys]


def _missing(claims: list[Claim]) -> list[list[str]]:
    present: dict[int, set[str]] = {}
    for claim_id, kind in ClaimDocument.objects.filter(claim_id__in={c.pk for c in claims}).values_list(
        "claim_id", "kind"
    ):
        present.setdefault(claim_id, set()).add(kind)
    return [[k for k in required_documents(c) if k not in present.get(c.pk, set())] for c in claims]


class ClaimType(DjangoObjectType):
    state = ClaimStateEnum(required=True)
    channel = ChannelEnum(required=True)
    hospital_level = HospitalLevelEnum(required=True)
    cause = CauseEnum(required=True)
    insurance_type = ClaimInsuranceEnum(required=True)
    member_id = graphene.ID(required=True, description="申请人（成员）ID")
    applicant_name = graphene.String(required=True, description="申请人姓名（服务机构与财政只见脱敏姓名）")
    total_cost = graphene.String(required=True)
    insurance_paid = graphene.String(required=True)
    out_of_pocket = graphene.String(required=True)
    amount = graphene.String(description="核定补助（元）")
    diagnosis_codes = graphene.List(graphene.NonNull(graphene.String), required=True)
    procedure_codes = graphene.List(graphene.NonNull(graphene.String), required=True)
    is_overdue = graphene.Boolean(required=True, description="超过审核时限仍未作出决定")
    missing_documents = graphene.List(graphene.NonNull(DocumentKindEnum), required=True)
    documents = graphene.List(graphene.NonNull(ClaimDocumentType), required=True)
    events = graphene.List(graphene.NonNull(ClaimEventType), required=True)
    decision = graphene.Field(ClaimDecisionType, description="最近的审核决定（含计算依据与调整理由）")
    decisions = graphene.List(graphene.NonNull(ClaimDecisionType), required=True)
    adjudication = graphene.Field(
        AdjudicationType,
        drg_code=graphene.String(description="按此病组试算；默认为申请当前的病组"),
        description="按现行规则试算（审核员）",
    )

    class Meta:
        model = Claim
        name = "Claim"
        fields = (
            "id",
            "village_code",
            "scheme_year",
            "hospital_name",
            "hospital_designated",
            "hospital_mainland",
            "admission_date",
            "discharge_date",
            "inpatient",
            "drg_code",
            "suggested_drg_code",
            "bank_name",
            "bank_card_masked",
            "filed_on",
            "submitted_at",
            "due_date",
            "decided_at",
            "created_at",
        )
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_member_id(claim, info):
        return Node.to_global_id("Member", claim.member_id)

    def resolve_applicant_name(claim, info):
        full = perms.sees_full_names(info.context.user, claim)
        return get_loader(info, "claims:applicant_names", _names).load((claim.member_id, full))

    def resolve_total_cost(claim, info):
        return yuan(claim.total_cost_fen)

    def resolve_insurance_paid(claim, info):
        return yuan(claim.insurance_paid_fen)

    def resolve_out_of_pocket(claim, info):
        return yuan(claim.out_of_pocket_fen)

    def resolve_amount(claim, info):
        return yuan(claim.amount_fen)

    def resolve_is_overdue(claim, info):
        return selectors.is_overdue(claim)

    def resolve_missing_documents(claim, info):
        return get_loader(info, "claims:missing_documents", _missing).load(claim)

    def resolve_documents(claim, info):
        return get_loader(info, "claims:documents", _documents).load(claim.pk)

    def resolve_events(claim, info):
        return get_loader(info, "claims:events", _events).load(claim.pk)

    def resolve_decisions(claim, info):
        return get_loader(info, "claims:decisions", _decisions).load(claim.pk)

    def resolve_decision(claim, info):
        return get_loader(info, "claims:latest_decision", _latest_decision).load(claim.pk)

    def resolve_adjudication(claim, info, drg_code=None):
        if not perms.can(info.context.user, perms.REVIEW_CLAIMS, claim):
            return None
        code = selectors.normalise_code(drg_code) if drg_code else None
        return AdjudicationType.of(selectors.preview(claim, code))


class ReviewQueueEntryType(DjangoObjectType):
    town_code = graphene.String(required=True)
    town_name = graphene.String(required=True)
    claim_id = graphene.ID(required=True, description="申请 ID（在该镇的 API 中打开）")
    state = ClaimStateEnum(required=True)
    is_overdue = graphene.Boolean(required=True)

    class Meta:
        model = QueueEntry
        name = "ReviewQueueEntry"
        fields = ("id", "submitted_at", "due_date")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_town_code(entry, info):
        return entry.town.code

    def resolve_town_name(entry, info):
        return entry.town.name

    def resolve_claim_id(entry, info):
        return town_global_id("Claim", entry.town.code, entry.claim_id)  # the claim's ID in its town

    def resolve_is_overdue(entry, info):
        return entry.due_date < selectors.today()
