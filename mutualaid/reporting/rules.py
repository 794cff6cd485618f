"""Pure rules of supervision (no database): shares and percentiles, fund months covered, targets in force,
the 海安 plan template, the quarter calendar, the scorecard and the grade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from mutualaid.reporting.error_codes import ReportingErrorCode as Code

# A town whose table may run dry with a probability above 10% is at risk: red in the console, counted in the totals.
RUN_DRY_WARNING_BP = 1_000


def may_run_dry(run_dry_bp: int | None) -> bool:
    """A simulated run-dry probability (basis points) above the warning line; no simulation is no warning."""
    return run_dry_bp is not None and run_dry_bp > RUN_DRY_WARNING_BP


# 海安 document: 行政村参与试点占比 ≥ 50%, 试点村农户参与率 ≥ 30%, 群众参与率 ≥ 50% (新胜镇).
DEFAULT_TARGETS_BP = {"village": 5000, "household": 3000, "person": 5000}


def invalid(field: str, message: str, code: Code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


def share_bp(part: int, whole: int) -> int | None:
    """part / whole in basis points (rounded down); None when whole is 0."""
    return None if not whole else part * 10000 // whole


def percentile(values: list[float], fraction: float) -> Decimal | None:
    """Linear-interpolated percentile (``fraction`` 0.5 = median), one decimal; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return Decimal(str(round(value, 1)))


def months_between(start: date, end: date) -> int:
    """Whole or started months from ``start`` to ``end`` (at least 0)."""
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def months_covered(balance_fen: int, subsidies_fen: int, months: int) -> Decimal | None:
    """How many months of the year's average monthly payouts the balance pays; None before any payout."""
    if subsidies_fen <= 0 or months <= 0:
        return None
    monthly = Decimal(subsidies_fen) / months
    return (Decimal(balance_fen) / monthly).quantize(Decimal("0.1"))


def check_share(field: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= 10000:
        raise invalid(field, "目标比例须在 0% 至 100% 之间", Code.INVALID_SHARE)


@dataclass(frozen=True)
class Targets:
    village_bp: int | None
    household_bp: int | None
    person_bp: int | None
    source: str  # "county" | "province" | "policy" | "default"


def targets_in_force(town_target, county_target, policy: dict[str, int | None]) -> Targets:
    """The level above's targets for the year (the county's for the town, else the province's for the county),
    else the policy's own, else the document's defaults."""
    for found, source in ((town_target, "county"), (county_target, "province")):
        if found is not None:
            return Targets(found.village_share_bp, found.household_share_bp, found.person_share_bp, source)
    if any(v is not None for v in policy.values()):
        return Targets(policy.get("village"), policy.get("household"), policy.get("person"), "policy")
    return Targets(
        DEFAULT_TARGETS_BP["village"],
        DEFAULT_TARGETS_BP["household"],
        DEFAULT_TARGETS_BP["person"],
        "default",
    )


def met(share: int | None, target: int | None) -> bool | None:
    if target is None:
        return None
    return share is not None and share >= target


# --- the quarterly plan --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateTask:
    key: str
    title: str
    month: int  # due at the end of this month of the scheme year (15 = the middle of the month: ``day``)
    day: int
    target: str


# 海农〔2022〕92号 三、实施步骤: 准备阶段 (4月前), 实施阶段 (5月中旬 / 6月底 / 11月底), 评估阶段 (11月中旬).
HAIAN_TEMPLATE: tuple[TemplateTask, ...] = (
    TemplateTask("survey_villages", "调研选村", 4, 30, "摸排行政村需求，选定试点村"),
    TemplateTask("break_down", "任务分解", 4, 30, "任务细化到季度，上报季度推进计划表"),
    TemplateTask("kickoff_meeting", "部署会议", 5, 15, "召开推进会议，制定推进方案"),
    TemplateTask("publicity", "宣传发动", 5, 15, "宣传栏、宣传单、横幅进村入户"),
    TemplateTask("training", "业务培训", 5, 15, "组织业务培训"),
    TemplateTask("raise_funds", "筹集资金", 6, 30, "按时完成资金筹集"),
    TemplateTask("enter_roster", "录入名单", 6, 30, "村民代表会议决议，参加人员名单录入平台"),
    TemplateTask("subsidies", "实施补助", 11, 30, "按病种受理补助申请，按月公示"),
    TemplateTask("evaluation", "评估验收", 11, 15, "对照目标任务评估验收"),
)
TEMPLATE_BY_KEY = {t.key: t for t in HAIAN_TEMPLATE}
TASK_STATUSES = ("done", "late", "pending")


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_end(year: int, quarter: int) -> date:
    month = quarter * 3
    return date(year, month, 31 if month in (3, 12) else 30)


def check_quarter(quarter: int) -> None:
    if quarter not in (1, 2, 3, 4):
        raise invalid("quarter", "季度须为 1 至 4", Code.INVALID_QUARTER)


def report_due(year: int, quarter: int) -> date:
    """A quarter's progress report is due on the 10th day after the quarter ends (季调度)."""
    end = quarter_end(year, quarter)
    return date(end.year + (end.month == 12), 1 if end.month == 12 else end.month + 1, 10)


# --- the November scorecard ----------------------------------------------------------------------------------------

GRADES = ("优秀", "良好", "合格", "不合格")


def check_grade(grade: str) -> None:
    if grade not in GRADES:
        raise invalid("grade", "评定等次须为：" + "、".join(GRADES), Code.INVALID_GRADE)


def _pct(bp: int | None) -> str:
    return "—" if bp is None else f"{bp / 100:.1f}%"


def scorecard(rollup, targets: Targets, satisfaction: dict) -> list[dict]:
    """The evaluation items with their evidence, from a town's rollup, targets and survey results."""
    items: list[dict] = []

    def item(key, section, title, value, target, passed, evidence):
        items.append(
            {
                "key": key,
                "section": section,
                "title": title,
                "value": value,
                "target": target,
                "passed": passed,
                "evidence": evidence,
            }
        )

    village = share_bp(rollup.villages_joined, rollup.villages)
    household = share_bp(rollup.enrolled_households_in_joined, rollup.eligible_households_in_joined)
    person = share_bp(rollup.enrolled_people, rollup.eligible_people)
    item(
        "village_share", "参与率", "行政村参与试点占比", _pct(village), _pct(targets.village_bp),
        met(village, targets.village_bp), f"{rollup.villages_joined}/{rollup.villages} 个行政村经村民代表会议决议参加",
    )  # fmt: skip
    item(
        "household_share", "参与率", "试点村农户参与率", _pct(household), _pct(targets.household_bp),
        met(household, targets.household_bp),
        f"试点村 {rollup.enrolled_households_in_joined}/{rollup.eligible_households_in_joined} 户交清互助费",
    )  # fmt: skip
    item(
        "person_share", "参与率", "群众参与率", _pct(person), _pct(targets.person_bp),
        met(person, targets.person_bp), f"{rollup.enrolled_people}/{rollup.eligible_people} 人交清互助费",
    )  # fmt: skip
    item(
        "ledger_balanced", "资金存管", "账簿借贷平衡", "平衡" if rollup.ledger_balanced else "不平衡", "平衡",
        rollup.ledger_balanced, f"专户余额 {rollup.balance_fen / 100:.2f} 元，收入 {rollup.income_fen / 100:.2f} 元",
    )  # fmt: skip
    reconciled = None if not rollup.reconciled_months else rollup.reconciliation_differences == 0
    item(
        "bank_reconciled", "资金存管", "与银行对账单核对一致",
        "一致" if reconciled else ("未核对" if reconciled is None else "不一致"), "一致", reconciled,
        f"已对账 {rollup.reconciled_months} 个月，有差额 {rollup.reconciliation_differences} 个月",
    )  # fmt: skip
    overdue = rollup.overdue_receivables_fen
    item(
        "receivables", "资金存管", "无逾期未到账的应收款", f"{overdue / 100:.2f} 元", "0.00 元", overdue == 0,
        f"应收款余额 {rollup.receivables_fen / 100:.2f} 元，其中逾期 {overdue / 100:.2f} 元",
    )  # fmt: skip
    approved_fen = sum(v[1] for v in rollup.subsidy_by_drg.values())
    adequacy = share_bp(approved_fen, rollup.out_of_pocket_fen)
    by_drg = "；".join(
        f"{drg} {values[0]} 例 {share_bp(values[1], values[2]) or 0:.0f}‱"
        for drg, values in sorted(rollup.subsidy_by_drg.items())[:10]
    )
    item(
        "subsidy_adequacy", "补助水平", "补助占个人自付费用比例", _pct(adequacy), "—", None,
        f"核准补助 {approved_fen / 100:.2f} 元 / 个人自付 {rollup.out_of_pocket_fen / 100:.2f} 元；按病组：{by_drg or '无'}",
    )  # fmt: skip
    item(
        "decided_within_limit", "补助发放及时", "时限内审核占比", _pct(rollup.decided_within_limit_bp), "100.0%",
        None if rollup.decided_within_limit_bp is None else rollup.decided_within_limit_bp >= 9000,
        f"已审结 {rollup.claims_decided} 件，中位 {rollup.decision_days_median or '—'} 个工作日，"
        f"90% 分位 {rollup.decision_days_p90 or '—'} 个工作日",
    )  # fmt: skip
    item(
        "paid_next_month", "补助发放及时", "核准后次月发放占比", _pct(rollup.paid_next_month_bp), "100.0%",
        None if rollup.paid_next_month_bp is None else rollup.paid_next_month_bp >= 9000,
        f"已发放 {rollup.paid_out_fen / 100:.2f} 元",
    )  # fmt: skip
    score_bp = satisfaction.get("score_bp")
    item(
        "satisfaction", "群众满意度", "满意度（知晓程度、保障水平、政府服务）", _pct(score_bp), "80.0%",
        None if score_bp is None else score_bp >= 8000,
        f"回收问卷 {satisfaction.get('answers', 0)} 份，回复率 {_pct(satisfaction.get('response_bp'))}",
    )  # fmt: skip
    return items


def score(items: list[dict]) -> int:
    """Items passed out of items judged, in percent (an item without a verdict does not count)."""
    judged = [i for i in items if i["passed"] is not None]
    return 0 if not judged else sum(1 for i in judged if i["passed"]) * 100 // len(judged)


# --- the survey ----------------------------------------------------------------------------------------------------

THEMES = ("知晓程度", "保障水平", "政府服务")
DEFAULT_QUESTIONS: tuple[dict, ...] = (
    {
        "key": "know_rules",
        "theme": "知晓程度",
        "text": "您了解互助的交费标准和补助办法吗？",
        "kind": "likert",
    },
    {"key": "know_claim", "theme": "知晓程度", "text": "您知道住院后如何申请补助吗？", "kind": "likert"},
    {"key": "level", "theme": "保障水平", "text": "您对补助金额满意吗？", "kind": "likert"},
    {"key": "burden", "theme": "保障水平", "text": "互助减轻了您家的看病负担吗？", "kind": "likert"},
    {"key": "service", "theme": "政府服务", "text": "您对镇村工作人员的服务满意吗？", "kind": "likert"},
    {"key": "speed", "theme": "政府服务", "text": "您对补助审核和发放的速度满意吗？", "kind": "likert"},
    {"key": "advice", "theme": "政府服务", "text": "您的意见和建议", "kind": "text"},
)


def check_answers(questions: list[dict], likert: dict, texts: dict) -> None:
    keys = {q["key"]: q["kind"] for q in questions}
    for key, value in likert.items():
        if keys.get(key) != "likert" or isinstance(value, bool) or value not in (1, 2, 3, 4, 5):
            raise invalid("likert", f"题目 {key} 的回答须为 1 至 5 分", Code.INVALID_ANSWER)
    for key, value in texts.items():
        if keys.get(key) != "text":
            raise invalid("texts", f"题目 {key} 不是文字题", Code.INVALID_ANSWER)
        if len(value) > 500:
            raise invalid("texts", "意见不超过 500 字", Code.TOO_LONG)
    missing = [k for k, kind in keys.items() if kind == "likert" and k not in likert]
    if missing:
        raise invalid("likert", "请回答全部评分题", Code.REQUIRED)


def satisfaction_bp(likert_totals: dict[str, list[int]]) -> int | None:
    """Mean score over all Likert answers as a share of the maximum (5), basis points."""
    count = sum(v[1] for v in likert_totals.values())
    total = sum(v[0] for v in likert_totals.values())
    return None if not count else total * 10000 // (count * 5)
