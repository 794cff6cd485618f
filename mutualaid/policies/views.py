"""Pages of a town's policy: the public rules page (no login, no personal data) and the subsidy-table download."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render

from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies import selectors
from mutualaid.policies import subsidy_table as tables
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.parameters import PARAMETERS, Parameter, label
from mutualaid.policies.permissions import READ_POLICY
from mutualaid.policies.terms import FundingSource, HardshipCategory, SpecialGroupTreatment
from mutualaid.policies.values import (
    NOT_IN_DOCUMENT,
    ExclusionCause,
    InsuranceType,
    PolicyStatus,
    ServiceFeeKind,
    ThresholdBasis,
    UnlistedDrgRule,
)


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    default: bool = False


def _yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    text = fen_to_yuan(fen)
    return (text[:-3] if text.endswith(".00") else text) + " 元"


def _date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "—"


def _percent(bp: int | None) -> str:
    if bp is None:
        return ""
    return f"{bp / 100:g}%"


def _section(name: str) -> tuple[Parameter, ...]:
    """The parameters the registry places in a section of the page, in its order."""
    return tuple(p for p in PARAMETERS if p.rules_section == name)


def rules_context(policy: PolicyVersion) -> dict:
    """Everything the public page shows, from the policy alone (nothing about any person)."""
    defaults = set(policy.defaulted_fields)

    def is_default(field: str, key: str | None = None) -> bool:
        return field in defaults or (key is not None and f"{field}.{key}" in defaults)

    shares = [
        Line(
            FundingSource(s["source"]).label,
            _yuan(s["amount_fen"]),
            is_default("funding_shares", s["source"]),
        )
        for s in policy.funding_shares
    ]
    exempt = [g for g in policy.special_groups if g["treatment"] == SpecialGroupTreatment.EXEMPT_PERSON_SHARE]
    excluded = [g for g in policy.special_groups if g["treatment"] == SpecialGroupTreatment.EXCLUDED]
    exempt_lines = [
        Line(
            HardshipCategory(g["category"]).label,
            f"个人出资部分由{FundingSource(g['paid_by']).label}全额补助"
            if g.get("paid_by")
            else "个人出资部分全额补助",
            is_default("special_groups", g["category"]),
        )
        for g in exempt
    ]
    excluded_lines = [
        Line(
            HardshipCategory(g["category"]).label, "不参加本互助", is_default("special_groups", g["category"])
        )
        for g in excluded
    ]
    thresholds = [
        Line(
            InsuranceType(t["insurance_type"]).label,
            f"{ThresholdBasis(t['basis']).label} ≥ {_yuan(t['amount_fen'])}",
            is_default("thresholds", t["insurance_type"]),
        )
        for t in policy.thresholds
    ]
    exclusions = [
        Line(ExclusionCause(c).label, "", is_default("excluded_causes")) for c in policy.excluded_causes
    ]
    if policy.designated_hospitals_only:
        exclusions.append(
            Line(
                "住院医院未列入医院所在地医疗保障部门确定的定点医院",
                "",
                is_default("designated_hospitals_only"),
            )
        )
    if policy.mainland_only:
        exclusions.append(Line("在国外和港澳台地区医院住院治疗", "", is_default("mainland_only")))
    targets = [
        Line(p.label, f"不低于 {_percent(getattr(policy, p.name))}", is_default(p.name))
        for p in _section("targets")
        if getattr(policy, p.name)
    ]
    if policy.service_fee_kind == ServiceFeeKind.PERCENT and policy.service_fee_bp:
        service_fee = f"按互助资金的 {_percent(policy.service_fee_bp)} 支付给第三方专业服务机构"
    elif policy.service_fee_kind == ServiceFeeKind.PER_PERSON and policy.service_fee_per_person_fen:
        service_fee = f"按参加人数每人 {_yuan(policy.service_fee_per_person_fen)} 支付给第三方专业服务机构"
    else:
        service_fee = "不从互助资金中支付服务费"
    paid_to = "支付给第三方专业服务机构"
    if not policy.service_fee_from_fund and service_fee.endswith(paid_to):
        service_fee = service_fee.removesuffix(paid_to) + f"计算，由镇财政预算{paid_to}（不从互助资金中支付）"
    entries = list(policy.subsidy_entries.order_by("drg_code"))
    return {
        "policy": policy,
        "scheme_year": policy.scheme_year.year,
        "not_in_document": NOT_IN_DOCUMENT,
        "fee": Line(
            "互助费标准（每人每年）", _yuan(policy.fee_per_person_fen), is_default("fee_per_person_fen")
        ),
        "shares": shares,
        "exempt": exempt_lines,
        "excluded_groups": excluded_lines,
        "dates": [
            Line(
                label("register_snapshot_date"),
                _date(policy.register_snapshot_date),
                is_default("register_snapshot_date"),
            ),
            Line(
                "交费期",
                f"{_date(policy.enrolment_opens)} 至 {_date(policy.enrolment_closes)} 24时",
                is_default("enrolment_opens") or is_default("enrolment_closes"),
            ),
            Line(
                "保障期",
                f"{_date(policy.coverage_start)} 至 {_date(policy.coverage_end)}",
                is_default("coverage_start") or is_default("coverage_end"),
            ),
            Line(label("claim_deadline"), _date(policy.claim_deadline), is_default("claim_deadline")),
        ],
        "thresholds": thresholds,
        "limits": [
            Line(p.label, _yuan(getattr(policy, p.name)), is_default(p.name)) for p in _section("limits")
        ],
        "unlisted": Line(
            "补助表以外的病种",
            UnlistedDrgRule(policy.unlisted_drg_rule).label,
            is_default("unlisted_drg_rule"),
        ),
        "exclusions": exclusions,
        "review_days": Line(
            "审核时限", f"{policy.review_working_days or '—'} 个工作日", is_default("review_working_days")
        ),
        "service_fee": Line(
            "服务费",
            service_fee,
            is_default("service_fee_kind")
            or is_default("service_fee_bp")
            or is_default("service_fee_from_fund"),
        ),
        "targets": targets,
        "surplus": Line(
            "结余资金",
            "当年度结余资金结转下年度滚动使用" if policy.surplus_carry_over else "结余按镇规定处理",
            is_default("surplus_carry_over"),
        ),
        "refund": Line(
            "互助费退还",
            "自愿交费参加后，所交互助费不退回" if not policy.fees_refundable else "可按规定退还",
            is_default("fees_refundable"),
        ),
        "by_household": policy.enrol_by_household,
        "entries": [Line(f"{e.drg_code} {e.drg_name}".strip(), _yuan(e.amount_fen)) for e in entries],
        "table_default": is_default("subsidy_table"),
        "drg_version": Line(
            "病种分组标准",
            policy.drg_catalogue_version.upper().replace("CHS-DRG-", "国家医保 CHS-DRG ") or "—",
            is_default("drg_catalogue_version"),
        ),
        "uninsured": any(t["insurance_type"] == InsuranceType.NONE for t in policy.thresholds),
    }


def town_rules(request):
    """规则公示页：某镇当前互助年度已发布的规则（无需登录）。``?year=2022`` 看指定年度。"""
    town = request.tenant
    year_param = request.GET.get("year", "")
    if year_param.isdigit():
        year = int(year_param)
    else:
        scheme_year = selectors.latest_published_scheme_year()
        year = scheme_year.year if scheme_year else None
    policy = selectors.policy_in_force(year) if year else None
    years = list(
        PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED)
        .values_list("scheme_year__year", flat=True)
        .distinct()
        .order_by("-scheme_year__year")
    )
    context = {"town": town, "years": years}
    if policy is not None:
        context |= rules_context(policy)
    return render(request, "policies/rules.html", context)


def subsidy_table_download(request, pk: int, fmt: str):
    """The subsidy table of one version as CSV or XLSX, for those who may read the town's policy."""
    town = request.tenant
    if not has_permission(request.user, READ_POLICY, Target.town(town.code)):
        raise Http404("对象不存在或无权访问")
    policy = PolicyVersion.objects.select_related("scheme_year").filter(pk=pk).first()
    if policy is None or fmt not in ("csv", "xlsx"):
        raise Http404("对象不存在或无权访问")
    rows = policy.subsidy_rows()
    if fmt == "xlsx":
        content = tables.export_xlsx(rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = tables.export_csv(rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    filename = f"subsidy-table-{town.code}-{policy.scheme_year.year}-v{policy.version}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
