"""Adjudication: a pure function of (the policy version in force on the admission date, the member's enrolment,
the stay, the member's claims so far in that scheme year) → a decision with every reason stated, as a code and
in Chinese. No database, no clock: the same inputs always give the same decision.

The rules, in the order the decision lists them (新胜镇方案 四):

1. ``coverage_period``  admission within the scheme year's coverage period
2. ``enrolled``         the member is enrolled in that scheme year
3. ``inpatient``        an inpatient stay (outpatient treatment is not covered)
4. ``designated_hospital`` / ``mainland_hospital``  a hospital designated by the local insurance bureau, in
                        mainland China (not abroad, Hong Kong, Macao or Taiwan), where the policy requires it
5. ``excluded_cause``   none of the policy's excluded causes (check-up, cosmetic, plastic, work injury, crime,
                        accidents fully caused by a third party)
6. ``threshold``        the threshold for the member's insurance at admission (新胜镇: out-of-pocket ≥ 3,500 after
                        resident or employee insurance; total cost ≥ 7,000 when uninsured or lapsed)
7. ``claim_deadline``   filed on or before the policy's claim deadline
8. ``duplicate_stay``   not a stay already claimed (same member, overlapping dates)
9. ``drg_quota``        the DRG's amount in the town's subsidy table; an unlisted group follows the policy's rule
                        (no subsidy, or the per-stay minimum)

then the amount: the quota, never more than the out-of-pocket amount (the total cost for the uninsured), clamped to
the per-stay minimum and maximum (and again to the out-of-pocket amount), then to what is left of the yearly cap.
A claim is approvable when every rule passes and the amount is above zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from typing import NamedTuple

from mutualaid.platform.money import fen_to_yuan

INSURANCE_LABELS = {
    "resident": "城乡居民医保",
    "employee": "城镇职工医保",
    "none": "未参加基本医保或中断职工医保",
}
CAUSE_LABELS = {
    "illness": "疾病",
    "accident": "意外伤害",
    "childbirth": "分娩",
    "check_up": "健康体检",
    "cosmetic": "美容",
    "plastic": "整形等非疾病原因",
    "work_injury": "工伤",
    "crime": "违法犯罪",
    "third_party_liable": "第三方全责的意外伤害",
}
BASIS_LABELS = {"out_of_pocket": "医保报销后个人支付", "total_cost": "住院总费用"}


@dataclass(frozen=True)
class PolicyTerms:
    """What adjudication reads of a policy version (``selectors.policy_terms`` builds it)."""

    policy_id: int | None
    version: int
    scheme_year: int
    coverage_start: date
    coverage_end: date
    claim_deadline: date | None
    thresholds: tuple[tuple[str, str, int], ...]  # (insurance_type, basis, amount_fen)
    per_stay_min_fen: int
    per_stay_max_fen: int | None
    yearly_cap_fen: int | None
    excluded_causes: frozenset[str]
    designated_hospitals_only: bool
    mainland_only: bool
    unlisted_drg_rule: str  # "no_subsidy" | "minimum"
    subsidy_table: tuple[tuple[str, int], ...]  # (drg_code, amount_fen), sorted

    def quota(self, drg_code: str) -> int | None:
        return self._table.get(drg_code)

    # Derived once per policy (a frozen dataclass keeps cached values in its __dict__, outside eq and asdict).
    @cached_property
    def _table(self) -> dict[str, int]:
        return dict(self.subsidy_table)

    @cached_property
    def _json(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "subsidy_table"}

    @cached_property
    def _period(self) -> str:
        return f"{self.scheme_year} 互助年度保障期（{self.coverage_start.isoformat()} 至 {self.coverage_end.isoformat()}）"


@dataclass(frozen=True)
class Stay:
    admission_date: date
    discharge_date: date
    inpatient: bool
    hospital_designated: bool
    hospital_mainland: bool
    cause: str
    insurance_type: str  # resident | employee | none
    total_cost_fen: int
    insurance_paid_fen: int
    out_of_pocket_fen: int
    drg_code: str  # "" when not determined yet
    filed_on: date


_STAY_FIELDS = tuple(f.name for f in fields(Stay))


@dataclass(frozen=True)
class History:
    """The member's year so far: the total approved, and the other stays already claimed (not rejected)."""

    approved_fen: int = 0
    claimed_stays: tuple[tuple[date, date], ...] = ()


class Reason(NamedTuple):
    code: str
    passed: bool
    message: str


@dataclass(frozen=True)
class Decision:
    eligible: bool
    amount_fen: int
    drg_code: str
    quota_fen: int | None
    reasons: tuple[Reason, ...]
    policy_id: int | None = None
    policy_version: int | None = None
    scheme_year: int | None = None
    failed: tuple[str, ...] = field(default=())

    def to_json(self) -> list[dict]:
        return [r._asdict() for r in self.reasons]


def _yuan(fen: int) -> str:
    if fen >= 0:  # fen_to_yuan's result, without its call: messages name several amounts per decision
        return f"{fen // 100}.{fen % 100:02d} 元"
    return fen_to_yuan(fen) + " 元"


def _overlaps(stay: Stay, other: tuple[date, date]) -> bool:
    return stay.admission_date <= other[1] and other[0] <= stay.discharge_date


def adjudicate(policy: PolicyTerms | None, enrolled: bool, stay: Stay, history: History) -> Decision:
    """The decision for one stay (module docstring). ``policy`` is None when no published policy's coverage
    period contains the admission date."""
    reasons: list[Reason] = []
    add = reasons.append
    admitted = stay.admission_date.isoformat()
    if policy is None:
        add(Reason("coverage_period", False, f"入院日期 {admitted} 不在任何已发布互助年度的保障期内"))
        add(Reason("enrolled", enrolled, "已参加互助" if enrolled else "未参加本年度互助"))
        return Decision(False, 0, stay.drg_code, None, tuple(reasons), failed=("coverage_period",))

    in_period = policy.coverage_start <= stay.admission_date <= policy.coverage_end
    add(
        Reason(
            "coverage_period",
            in_period,
            f"入院日期 {admitted} {'在' if in_period else '不在'} {policy._period}内",
        )
    )
    add(
        Reason(
            "enrolled",
            enrolled,
            f"已参加 {policy.scheme_year} 互助年度"
            if enrolled
            else f"未参加 {policy.scheme_year} 互助年度，不予补助",
        )
    )
    outpatient_excluded = "outpatient" in policy.excluded_causes
    inpatient_ok = stay.inpatient or not outpatient_excluded
    add(Reason("inpatient", inpatient_ok, "住院治疗" if stay.inpatient else "非住院治疗（门诊等）不予补助"))
    designated_ok = stay.hospital_designated or not policy.designated_hospitals_only
    add(
        Reason(
            "designated_hospital",
            designated_ok,
            "医保定点医院" if stay.hospital_designated else "非当地医保部门认定的定点医院，不予补助",
        )
    )
    mainland_ok = stay.hospital_mainland or not policy.mainland_only
    add(
        Reason(
            "mainland_hospital",
            mainland_ok,
            "境内医院" if stay.hospital_mainland else "在国外及港澳台地区医院住院，不予补助",
        )
    )
    cause_label = CAUSE_LABELS.get(stay.cause, stay.cause)
    excluded = stay.cause in policy.excluded_causes
    add(
        Reason(
            "excluded_cause",
            not excluded,
            f"{cause_label}住院，不予补助" if excluded else f"住院原因：{cause_label}，不属于不补助的情况",
        )
    )
    # Threshold by insurance type.
    threshold = next((t for t in policy.thresholds if t[0] == stay.insurance_type), None)
    insurance = INSURANCE_LABELS.get(stay.insurance_type, stay.insurance_type)
    if threshold is None:
        add(Reason("threshold", True, f"政策未规定{insurance}人员的起付条件"))
    else:
        _, basis, minimum = threshold
        value = stay.out_of_pocket_fen if basis == "out_of_pocket" else stay.total_cost_fen
        met = value >= minimum
        label = BASIS_LABELS.get(basis, basis)
        add(
            Reason(
                "threshold",
                met,
                f"{insurance}：{label} {_yuan(value)}{'达到' if met else '未达到'}起付条件 {_yuan(minimum)}",
            )
        )
    if policy.claim_deadline is None:
        add(Reason("claim_deadline", True, "政策未规定申请截止日"))
    else:
        in_time = stay.filed_on <= policy.claim_deadline
        add(
            Reason(
                "claim_deadline",
                in_time,
                f"{stay.filed_on.isoformat()} 提交，{'未超过' if in_time else '已超过'}申请截止日 {policy.claim_deadline.isoformat()}",
            )
        )
    duplicate = next((other for other in history.claimed_stays if _overlaps(stay, other)), None)
    add(
        Reason(
            "duplicate_stay",
            duplicate is None,
            "无重复申请"
            if duplicate is None
            else f"与已申请的住院（{duplicate[0].isoformat()} 至 {duplicate[1].isoformat()}）日期重叠，属重复申请",
        )
    )
    # The DRG quota.
    quota: int | None
    if not stay.drg_code:
        quota = None
        add(Reason("drg_quota", False, "尚未确定 DRG 病组"))
    else:
        listed = policy.quota(stay.drg_code)
        if listed is not None:
            quota = listed
            add(Reason("drg_quota", True, f"病组 {stay.drg_code} 补助定额 {_yuan(listed)}"))
        elif policy.unlisted_drg_rule == "minimum":
            quota = policy.per_stay_min_fen
            add(
                Reason("drg_quota", True, f"病组 {stay.drg_code} 不在补助表内，按单次最低补助 {_yuan(quota)}")
            )
        else:
            quota = 0
            add(Reason("drg_quota", False, f"病组 {stay.drg_code} 不在补助表内，按政策不予补助"))

    failed = tuple(r.code for r in reasons if not r.passed)
    if failed or quota is None:
        return Decision(
            False,
            0,
            stay.drg_code,
            quota,
            tuple(reasons),
            policy.policy_id,
            policy.version,
            policy.scheme_year,
            failed,
        )

    # The amount.
    base = stay.total_cost_fen if stay.insurance_type == "none" else stay.out_of_pocket_fen
    base_label = "住院总费用" if stay.insurance_type == "none" else "个人支付金额"
    amount = min(quota, base)
    if amount < quota:
        add(Reason("out_of_pocket_limit", True, f"补助不超过{base_label} {_yuan(base)}"))
    if amount < policy.per_stay_min_fen:
        amount = min(policy.per_stay_min_fen, base)
        add(Reason("per_stay_minimum", True, f"单次住院最低补助 {_yuan(policy.per_stay_min_fen)}"))
    if policy.per_stay_max_fen is not None and amount > policy.per_stay_max_fen:
        amount = policy.per_stay_max_fen
        add(Reason("per_stay_maximum", True, f"单次住院最高补助 {_yuan(policy.per_stay_max_fen)}"))
    if policy.yearly_cap_fen is not None:
        left = max(policy.yearly_cap_fen - history.approved_fen, 0)
        if amount > left:
            amount = left
            add(
                Reason(
                    "yearly_cap",
                    left > 0,
                    f"年度累计最高补助 {_yuan(policy.yearly_cap_fen)}，本年度已补助 {_yuan(history.approved_fen)}，"
                    + (f"本次补助 {_yuan(left)}" if left > 0 else "已达上限，不予补助"),
                )
            )
    eligible = amount > 0
    if eligible:
        add(Reason("amount", True, f"核定补助 {_yuan(amount)}"))
    failed = tuple(r.code for r in reasons if not r.passed)
    return Decision(
        eligible,
        amount if eligible else 0,
        stay.drg_code,
        quota,
        tuple(reasons),
        policy.policy_id,
        policy.version,
        policy.scheme_year,
        failed,
    )


# --- inputs as JSON (stored with the decision, and read back to re-run it) -----------------------------------------


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def inputs_to_json(policy: PolicyTerms | None, enrolled: bool, stay: Stay, history: History) -> dict:
    """The inputs as JSON, to store with a decision. Of the subsidy table only the stay's own group's row is kept:
    the decision reads no other, and the whole table stays in the (immutable) policy version it names."""
    policy_json = None
    if policy is not None:
        policy_json = dict(policy._json)
        policy_json["subsidy_table"] = [
            [code, amount] for code, amount in policy.subsidy_table if code == stay.drg_code
        ]
    return {
        "policy": policy_json,
        "enrolled": enrolled,
        "stay": {name: _plain(getattr(stay, name)) for name in _STAY_FIELDS},
        "history": {"approved_fen": history.approved_fen, "claimed_stays": _plain(history.claimed_stays)},
    }


def inputs_from_json(data: dict) -> tuple[PolicyTerms | None, bool, Stay, History]:
    def day(value):
        return date.fromisoformat(value) if value else None

    p = data.get("policy")
    policy = None
    if p is not None:
        policy = PolicyTerms(
            policy_id=p["policy_id"],
            version=p["version"],
            scheme_year=p["scheme_year"],
            coverage_start=date.fromisoformat(p["coverage_start"]),
            coverage_end=date.fromisoformat(p["coverage_end"]),
            claim_deadline=day(p["claim_deadline"]),
            thresholds=tuple((t[0], t[1], int(t[2])) for t in p["thresholds"]),
            per_stay_min_fen=p["per_stay_min_fen"],
            per_stay_max_fen=p["per_stay_max_fen"],
            yearly_cap_fen=p["yearly_cap_fen"],
            excluded_causes=frozenset(p["excluded_causes"]),
            designated_hospitals_only=p["designated_hospitals_only"],
            mainland_only=p["mainland_only"],
            unlisted_drg_rule=p["unlisted_drg_rule"],
            subsidy_table=tuple((row[0], int(row[1])) for row in p["subsidy_table"]),
        )
    s = data["stay"]
    stay = Stay(
        **{
            **s,
            "admission_date": date.fromisoformat(s["admission_date"]),
            "discharge_date": date.fromisoformat(s["discharge_date"]),
            "filed_on": date.fromisoformat(s["filed_on"]),
        }
    )
    h = data["history"]
    history = History(
        approved_fen=h["approved_fen"],
        claimed_stays=tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in h["claimed_stays"]),
    )
    return policy, bool(data["enrolled"]), stay, history
