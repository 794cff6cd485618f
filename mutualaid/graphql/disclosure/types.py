"""Types of the disclosure API. A disclosure shows exactly what its public page shows (masked names, age bands,
group names, amounts in yuan); objections (for the town admin and the firm's reviewers) never name the objector.

Global IDs name the town (``Disclosure:<town>:<pk>``, ``DisclosureObjection:<town>:<pk>``): another town's ID is
NOT_FOUND here."""

from __future__ import annotations

import graphene

from mutualaid.claims.models import Claim, ClaimState
from mutualaid.disclosure import rules
from mutualaid.disclosure.models import Disclosure, DisclosureState, Objection, ObjectionState
from mutualaid.graphql.core.values import yuan
from mutualaid.graphql.payouts.types import town_global_id

DisclosureStateEnum = graphene.Enum.from_enum(DisclosureState, name="DisclosureState", description="公示状态")
ObjectionStateEnum = graphene.Enum.from_enum(
    ObjectionState, name="DisclosureObjectionState", description="异议状态"
)


class DisclosureInflowItemType(graphene.ObjectType):
    label = graphene.String(required=True, description="村（个人缴费）、单位或捐赠人（可显示为爱心人士）")
    amount = graphene.String(required=True, description="元")

    def resolve_amount(root, info):
        return yuan(root["amount_fen"])

    def resolve_label(root, info):
        return root["label"]


class DisclosureInflowType(graphene.ObjectType):
    source = graphene.String(required=True, description="资金来源")
    label = graphene.String(required=True)
    amount = graphene.String(required=True, description="元")
    items = graphene.List(graphene.NonNull(DisclosureInflowItemType), required=True)

    def resolve_source(root, info):
        return root["source"]

    def resolve_label(root, info):
        return root["label"]

    def resolve_amount(root, info):
        return yuan(root["amount_fen"])

    def resolve_items(root, info):
        return root["items"]


class DisclosedSubsidyType(graphene.ObjectType):
    number = graphene.Int(required=True, description="公示编号（提出异议时使用）")
    village_code = graphene.String(required=True)
    village = graphene.String(required=True)
    name = graphene.String(required=True, description="脱敏姓名，如 张*三")
    age_band = graphene.String(required=True)
    drg = graphene.String(required=True, description="病种（DRG 病组名称）")
    hospital_level = graphene.String(required=True)
    amount = graphene.String(required=True, description="元")
    status = graphene.String(required=True)

    def resolve_number(root, info):
        return root["no"]

    def resolve_amount(root, info):
        return yuan(root["amount_fen"])


for _field in ("village_code", "village", "name", "age_band", "drg", "hospital_level", "status"):
    setattr(DisclosedSubsidyType, f"resolve_{_field}", staticmethod(lambda root, info, _f=_field: root[_f]))


class DisclosureRecoveryType(graphene.ObjectType):
    date = graphene.String(required=True)
    label = graphene.String(required=True)
    amount = graphene.String(required=True, description="元（冲减支出）")

    def resolve_date(root, info):
        return root["date"]

    def resolve_label(root, info):
        return root["label"]

    def resolve_amount(root, info):
        return yuan(root["amount_fen"])


class DisclosureNoticeType(graphene.ObjectType):
    date = graphene.String(required=True)
    title = graphene.String(required=True)
    body = graphene.String(required=True)

    def resolve_date(root, info):
        return root["date"]

    def resolve_title(root, info):
        return root["title"]

    def resolve_body(root, info):
        return root["body"]


class PublishedObjectionType(graphene.ObjectType):
    """An objection as the next disclosure publishes it: no objector's identity."""

    subject = graphene.String(required=True)
    reason = graphene.String(required=True)
    state = graphene.String(required=True)
    answer = graphene.String(required=True)
    outcome = graphene.String(required=True)
    result = graphene.String(required=True, description="被异议申请在本期公示时的实际状态，如“重新审核中”")


for _field in ("subject", "reason", "state", "answer", "outcome", "result"):
    setattr(
        PublishedObjectionType,
        f"resolve_{_field}",
        staticmethod(lambda root, info, _f=_field: root[_f] or ""),
    )


class DisclosureType(graphene.ObjectType):
    id = graphene.ID(required=True)
    month = graphene.String(required=True, description="YYYY-MM")
    revision = graphene.Int(required=True)
    state = graphene.Field(DisclosureStateEnum, required=True)
    published_at = graphene.DateTime()
    objection_until = graphene.Date(description="异议截止日")
    changes = graphene.String(required=True, description="本版修订说明")
    reconciled = graphene.Boolean(required=True, description="与资金台账核对一致（含借贷平衡）")
    opening = graphene.String(required=True, description="期初结余（元）")
    inflow = graphene.String(required=True, description="本月收入（元）")
    outflow = graphene.String(required=True, description="本月支出（元）")
    transfers = graphene.String(required=True, description="年度结转（元）")
    closing = graphene.String(required=True, description="期末结余（元）")
    subsidy_total = graphene.String(required=True, description="互助补助（元）")
    service_fee = graphene.String(required=True, description="第三方服务费（元）")
    ledger_debit_total = graphene.String(required=True, description="台账借方合计（元，等于贷方合计）")
    inflows = graphene.List(graphene.NonNull(DisclosureInflowType), required=True)
    subsidies = graphene.List(
        graphene.NonNull(DisclosedSubsidyType), required=True, village_code=graphene.String()
    )
    recoveries = graphene.List(graphene.NonNull(DisclosureRecoveryType), required=True)
    notices = graphene.List(graphene.NonNull(DisclosureNoticeType), required=True)
    objections = graphene.List(graphene.NonNull(PublishedObjectionType), required=True)

    def resolve_id(root: Disclosure, info):
        return town_global_id(info, "Disclosure", root.pk)

    def resolve_month(root: Disclosure, info):
        return root.label

    def resolve_state(root: Disclosure, info):
        return DisclosureState(root.state)

    def resolve_opening(root: Disclosure, info):
        return yuan(root.opening_fen)

    def resolve_inflow(root: Disclosure, info):
        return yuan(root.inflow_fen)

    def resolve_outflow(root: Disclosure, info):
        return yuan(root.outflow_fen)

    def resolve_closing(root: Disclosure, info):
        return yuan(root.closing_fen)

    def resolve_transfers(root: Disclosure, info):
        return yuan(root.content.get("transfers_fen", 0))

    def resolve_subsidy_total(root: Disclosure, info):
        return yuan(root.content.get("subsidy_fen", 0))

    def resolve_service_fee(root: Disclosure, info):
        return yuan(root.content.get("service_fee_fen", 0))

    def resolve_ledger_debit_total(root: Disclosure, info):
        return yuan(root.content.get("checks", {}).get("debit_total_fen", 0))

    def resolve_inflows(root: Disclosure, info):
        return root.content.get("inflows", [])

    def resolve_subsidies(root: Disclosure, info, village_code=None):
        rows = root.content.get("subsidies", [])
        return [r for r in rows if village_code is None or r["village_code"] == village_code]

    def resolve_recoveries(root: Disclosure, info):
        return root.content.get("recoveries", [])

    def resolve_notices(root: Disclosure, info):
        return root.content.get("notices", [])

    def resolve_objections(root: Disclosure, info):
        return root.content.get("objections", [])


def _claim_state(root: Objection) -> str | None:
    """The objected claim's state: annotated by the list query (one statement), else looked up."""
    if not hasattr(root, "objected_claim_state"):
        root.objected_claim_state = (  # type: ignore[attr-defined]
            Claim.objects.filter(pk=root.claim_id).values_list("state", flat=True).first()
        )
    return root.objected_claim_state  # type: ignore[attr-defined]


class DisclosureObjectionType(graphene.ObjectType):
    """An objection for its handling (town admin, the firm's reviewers): never the objector's phone or account."""

    id = graphene.ID(required=True)
    month = graphene.String(required=True, description="被异议的公示月份")
    claim_id = graphene.ID(required=True, description="补助申请（在本镇 API 中打开）")
    subject = graphene.String(required=True)
    reason = graphene.String(required=True)
    state = graphene.Field(ObjectionStateEnum, required=True)
    answer = graphene.String(required=True)
    outcome = graphene.String(required=True)
    submitted_at = graphene.DateTime(required=True)
    answered_at = graphene.DateTime()
    held = graphene.Boolean(required=True, description="暂缓发放")
    verified_by = graphene.String(required=True, description="account（登录成员）或 sms（短信验证手机号）")
    claim_state = graphene.String(
        required=True, description="被异议申请的实际状态（中文），如“审核中”“已发放”"
    )
    next_step = graphene.String(
        required=True,
        description="下一步办理事项（如已发放的补助不能退回重新审核，须由镇农业服务中心办理追回）",
    )

    def resolve_claim_state(root: Objection, info):
        state = _claim_state(root)
        return ClaimState(state).label if state in ClaimState.values else "—"

    def resolve_next_step(root: Objection, info):
        return rules.next_step(root.state, _claim_state(root))

    def resolve_id(root: Objection, info):
        return town_global_id(info, "DisclosureObjection", root.pk)

    def resolve_month(root: Objection, info):
        return root.disclosure.label

    def resolve_claim_id(root: Objection, info):
        return graphene.Node.to_global_id("Claim", root.claim_id)

    def resolve_state(root: Objection, info):
        return ObjectionState(root.state)

    def resolve_verified_by(root: Objection, info):
        return "account" if root.user_id else "sms"
