"""Exports of supervision: the dashboards as xlsx, the evaluation scorecard as xlsx and PDF (WeasyPrint with the
CJK font the payout printouts embed, ``PAYOUTS_PDF_FONT``)."""

from __future__ import annotations

import html
import io

from mutualaid.platform.spreadsheets import neutralise_workbook
from mutualaid.platform.table_pdf import font_path
from mutualaid.reporting.dashboards import Dashboard, TownLine
from mutualaid.reporting.models import Evaluation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
HEADER = (
    "乡镇", "县/区", "截至", "行政村", "参与村", "行政村参与率%", "目标%", "试点村农户", "参加农户",
    "农户参与率%", "目标%", "在册人数", "参加人数", "群众参与率%", "目标%", "未达目标", "收入（元）",
    "应收（元）", "已核准补助（元）", "已发放（元）", "专户余额（元）", "可支付月数", "资金用尽概率%",
    "预计结转（元）", "模拟依据政策版本", "已审结", "逾期未审",
    "审核用时中位（工作日）", "时限内审核%", "次月发放%",
)  # fmt: skip


def _pct(bp):
    return None if bp is None else round(bp / 100, 2)


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _row(line: TownLine) -> tuple:
    r, t = line.rollup, line.targets
    return (
        r.town.name, r.county.name, r.as_of.isoformat(), r.villages, r.villages_joined, _pct(line.village_share_bp),
        _pct(t.village_bp), r.eligible_households_in_joined, r.enrolled_households_in_joined,
        _pct(line.household_share_bp), _pct(t.household_bp), r.eligible_people, r.enrolled_people,
        _pct(line.person_share_bp), _pct(t.person_bp), "是" if line.behind else "否", _yuan(r.income_fen),
        _yuan(r.receivables_fen), _yuan(r.subsidies_fen), _yuan(r.paid_out_fen), _yuan(r.balance_fen),
        None if line.months_covered is None else float(line.months_covered), _pct(r.run_dry_bp),
        None if r.expected_carry_over_fen is None else _yuan(r.expected_carry_over_fen), r.solvency_policy_version,
        r.claims_decided, r.claims_overdue,
        None if r.decision_days_median is None else float(r.decision_days_median),
        _pct(r.decided_within_limit_bp), _pct(r.paid_next_month_bp),
    )  # fmt: skip


def _save(workbook) -> bytes:
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dashboard_xlsx(dashboard: Dashboard, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "乡镇"
    sheet.append([f"{title} {dashboard.scheme_year}互助年度"])
    sheet.append(list(HEADER))
    for line in dashboard.towns:
        sheet.append(list(_row(line)))
    totals = dashboard.totals
    sheet.append(
        [
            "合计", f"{totals.towns} 个镇", "", totals.villages, totals.villages_joined,
            _pct(totals.village_share_bp), "", totals.eligible_households_in_joined,
            totals.enrolled_households_in_joined, _pct(totals.household_share_bp), "", totals.eligible_people,
            totals.enrolled_people, _pct(totals.person_share_bp), f"{totals.towns_behind} 个镇",
            _yuan(totals.income_fen), _yuan(totals.receivables_fen), _yuan(totals.subsidies_fen),
            _yuan(totals.paid_out_fen), _yuan(totals.balance_fen), "", "", "", "", totals.claims_decided,
            totals.claims_overdue,
        ]
    )  # fmt: skip
    for label, groups in (("县", dashboard.counties), ("市", dashboard.cities)):
        if not groups:
            continue
        sub = workbook.create_sheet(f"按{label}")
        sub.append([label, "乡镇数", "未达目标", "资金风险（用尽概率>10%）", "参加人数", "在册人数", "群众参与率%",
                    "专户余额（元）"])  # fmt: skip
        for group in groups:
            t = group.totals
            sub.append(
                [group.name, t.towns, t.towns_behind, t.towns_at_risk, t.enrolled_people, t.eligible_people,
                 _pct(t.person_share_bp), _yuan(t.balance_fen)]
            )  # fmt: skip
    return _save(workbook)


def evaluation_xlsx(evaluation: Evaluation) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "评估验收"
    sheet.append([f"{evaluation.town.name}{evaluation.scheme_year}年度乡村公益医疗互助评估验收表"])
    sheet.append(["类别", "项目", "结果", "目标", "是否达标", "依据"])
    for item in evaluation.items:
        verdict = "—" if item["passed"] is None else ("达标" if item["passed"] else "未达标")
        sheet.append(
            [item["section"], item["title"], item["value"], item["target"], verdict, item["evidence"]]
        )
    sheet.append(["听取汇报", evaluation.findings_briefing])
    sheet.append(["实地抽查", evaluation.findings_spot_check])
    sheet.append(["评定等次", evaluation.grade, "得分", evaluation.score])
    sheet.append(["签署", evaluation.signed_off_by_username, str(evaluation.signed_off_at or "")])
    return _save(workbook)


def evaluation_pdf(evaluation: Evaluation) -> bytes:
    from weasyprint import HTML

    font = font_path()
    face = f'@font-face {{ font-family: "ReportCJK"; src: url("{font.as_uri()}"); }}' if font.exists() else ""
    css = face + (
        "@page { size: A4; margin: 15mm; } body { font-family: 'ReportCJK', 'Noto Sans CJK SC', sans-serif; "
        "font-size: 9pt; } h1 { font-size: 14pt; text-align: center; } table { border-collapse: collapse; "
        "width: 100%; } th, td { border: 0.5pt solid #333; padding: 1mm 1.5mm; } th { background: #eee; }"
    )
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(i['section'])}</td><td>{e(i['title'])}</td><td>{e(i['value'])}</td><td>{e(i['target'])}</td>"
        f"<td>{'—' if i['passed'] is None else ('达标' if i['passed'] else '未达标')}</td><td>{e(i['evidence'])}</td></tr>"
        for i in evaluation.items
    )
    signed = (
        f"已签署　签署人：{e(evaluation.signed_off_by_username)}　签署时间：{evaluation.signed_off_at:%Y-%m-%d}"
        if evaluation.signed_off_at
        else "未签署"
    )
    body = (
        f"<h1>{e(evaluation.town.name)}{evaluation.scheme_year}年度乡村公益医疗互助评估验收表</h1>"
        "<table><thead><tr><th>类别</th><th>项目</th><th>结果</th><th>目标</th><th>结论</th><th>依据</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        f"<p>听取汇报：{e(evaluation.findings_briefing)}</p><p>实地抽查：{e(evaluation.findings_spot_check)}</p>"
        f"<p>得分：{evaluation.score}　评定等次：{e(evaluation.grade or '—')}　{signed}</p>"
    )
    document = f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>{css}</style></head>"
    return HTML(string=f"{document}<body>{body}</body></html>").write_pdf()
