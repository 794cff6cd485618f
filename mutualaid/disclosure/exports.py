"""Public outputs of a published disclosure besides the page: csv and JSON exports and the village notice-board
PDF (WeasyPrint with the same embedded Noto CJK font as the payout printouts). They carry only ``content``: masked
names, age bands, group names, amounts — never an ID number, a bank card or a diagnosis code."""

from __future__ import annotations

import csv
import io
import json

from django.template.loader import render_to_string

from mutualaid.disclosure.models import Disclosure
from mutualaid.platform.money import fen_to_yuan
from mutualaid.platform.spreadsheets import safe_cell
from mutualaid.platform.table_pdf import font_path

CSV_HEADERS = ("类别", "项目", "村", "姓名", "年龄段", "病种（DRG）", "医院等级", "金额（元）", "状态")


def _cell(value) -> str:
    text = str(value)
    return text if _is_amount(text) else safe_cell(text)


def _is_amount(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_bytes(disclosure: Disclosure) -> bytes:
    c = disclosure.content
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    writer.writerow(["期初结余", "", "", "", "", "", "", fen_to_yuan(c["opening_fen"]), ""])
    for group in c["inflows"]:
        for item in group["items"]:
            writer.writerow(["收入", group["label"], item["label"] if group["source"] == "person" else "", "", "", "", "",
                             fen_to_yuan(item["amount_fen"]), item["label"] if group["source"] != "person" else ""])  # fmt: skip
    for s in c["subsidies"]:
        writer.writerow(
            ["支出", "互助补助", s["village"], s["name"], s["age_band"], s["drg"], s["hospital_level"],
             fen_to_yuan(s["amount_fen"]), s["status"]]
        )  # fmt: skip
    if c.get("subsidy_unexplained_fen"):
        writer.writerow(
            ["支出", "其他补助支出", "", "", "", "", "", fen_to_yuan(c["subsidy_unexplained_fen"]), ""]
        )
    if c.get("service_fee_fen"):
        writer.writerow(["支出", "第三方服务费", "", "", "", "", "", fen_to_yuan(c["service_fee_fen"]), ""])
    for r in c["recoveries"]:
        writer.writerow(
            ["支出冲减", r["label"], "", "", "", "", "", fen_to_yuan(-r["amount_fen"]), r["date"]]
        )
    if c.get("transfers_fen"):
        writer.writerow(["年度结转", "", "", "", "", "", "", fen_to_yuan(c["transfers_fen"]), ""])
    writer.writerow(["期末结余", "", "", "", "", "", "", fen_to_yuan(c["closing_fen"]), ""])
    rows = out.getvalue().splitlines()
    safe = io.StringIO()
    w = csv.writer(safe)
    for row in csv.reader(rows):
        w.writerow([_cell(v) for v in row])
    return ("\ufeff" + safe.getvalue()).encode("utf-8")


def as_json(disclosure: Disclosure) -> dict:
    return {
        "month": disclosure.label,
        "revision": disclosure.revision,
        "published_at": disclosure.published_at.isoformat() if disclosure.published_at else None,
        "objection_until": disclosure.objection_until.isoformat() if disclosure.objection_until else None,
        "changes": disclosure.changes,
        "reconciled": disclosure.reconciled,
        "amounts_in": "fen",
        **disclosure.content,
    }


def json_bytes(disclosure: Disclosure) -> bytes:
    return json.dumps(as_json(disclosure), ensure_ascii=False, indent=1).encode("utf-8")


def _css() -> str:
    font = font_path()
    face = f'@font-face {{ font-family: "PayoutCJK"; src: url("{font.as_uri()}"); }}' if font.exists() else ""
    return (
        face
        + """
@page { size: A4; margin: 14mm 12mm 16mm 12mm;
        @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; } }
body { font-family: "PayoutCJK", "Noto Sans CJK SC", sans-serif; font-size: 9.5pt; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 2mm 0; }
h2 { font-size: 11pt; margin: 4mm 0 1.5mm 0; }
p { margin: 0 0 2mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.5pt solid #333; padding: 1mm 1.5mm; text-align: left; }
th { background: #eee; }
td.n, th.n { text-align: right; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
.sign { margin-top: 8mm; }
"""
    )


def village_pdf(disclosure: Disclosure, village: dict, village_name: str) -> bytes:
    from weasyprint import HTML

    body = render_to_string(
        "disclosure/village_print.html", {"d": disclosure, "c": village, "village_name": village_name}
    )
    document = (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<style>{_css()}</style></head><body>{body}</body></html>"
    )
    return HTML(string=document).write_pdf()
