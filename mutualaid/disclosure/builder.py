"""Build one month's disclosure from the town's fund ledger (reads only).

The fund's position is its net assets over every scheme year: bank + receivables − payables. For a month:

    opening (net assets at the end of the previous month)
  + inflows  (income accounts, by source: persons' fees per village, named contributions, grants, pledges, interest)
  − outflows (expense accounts: each subsidy approved in the month, the service firm's fee; recoveries reduce them)
  ± year-end transfers (closing / carry-forward entries, when a close falls in the month)
  = closing (net assets at the end of the month)

Every figure is a sum of journal lines dated in the month, so the totals reconcile with the ledger to the fen; the
builder checks it (and that debits equal credits up to the month's end) and says so in ``checks``. The detail of
subsidies comes from the claims' decisions linked to the month's entries; what no decision explains is listed as
one line, never dropped. ``content`` holds only what the public may see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, Sum

from mutualaid.claims.models import Claim, ClaimState, Decision, DecisionOutcome, HospitalLevel
from mutualaid.disclosure import rules
from mutualaid.disclosure.models import DonorDisplay, Objection, ObjectionState
from mutualaid.drg.models import Drg
from mutualaid.enrolment.models import Contribution, ContributionReversal, Member, Village
from mutualaid.funds.chart import (
    BANK,
    EXPENSE_SERVICE_FEES,
    EXPENSE_SUBSIDIES,
    SOURCE_LABELS,
    AccountKind,
    Side,
)
from mutualaid.funds.models import SYSTEM_KINDS, EntryKind, JournalEntry, JournalLine
from mutualaid.payouts.models import TownNotice
from mutualaid.platform.crypto import mask_name
from mutualaid.policies.terms import FundingSource

PAID_STATES = (ClaimState.PAID,)
NO_VILLAGE = "未关联到村"


@dataclass(frozen=True)
class Built:
    content: dict
    opening_fen: int
    inflow_fen: int
    outflow_fen: int
    closing_fen: int
    reconciled: bool


def _position(until: date) -> tuple[int, int, int, int, int]:
    """(bank, receivables, payables, debits, credits) over every line dated on or before ``until``."""
    rows = (
        JournalLine.objects.filter(entry__entry_date__lte=until)
        .values("account__kind", "account__key", "side")
        .annotate(total=Sum("amount_fen"))
    )
    bank = receivables = payables = debits = credits = 0
    for row in rows:
        amount = row["total"] or 0
        sign = 1 if row["side"] == Side.DEBIT else -1
        if row["side"] == Side.DEBIT:
            debits += amount
        else:
            credits += amount
        if row["account__key"] == BANK:
            bank += sign * amount
        elif row["account__kind"] == AccountKind.ASSET:
            receivables += sign * amount
        elif row["account__kind"] == AccountKind.LIABILITY:
            payables -= sign * amount
    return bank, receivables, payables, debits, credits


def _signed(line: JournalLine) -> int:
    """The line's amount toward its account's normal side."""
    normal = line.account.normal_side
    return line.amount_fen if line.side == normal else -line.amount_fen


def _villages() -> dict[str, str]:
    return dict(Village.objects.values_list("code", "name"))


def _person_villages(entry_ids: list[int]) -> dict[int, str]:
    """Entry id → village code of the contribution (or its reversal) the entry posted."""
    found: dict[int, str] = {}
    for entry_id, code in Contribution.objects.filter(journal_entry_id__in=entry_ids).values_list(
        "journal_entry_id", "enrolment__household__village__code"
    ):
        if entry_id is not None:
            found[entry_id] = code
    for entry_id, code in ContributionReversal.objects.filter(journal_entry_id__in=entry_ids).values_list(
        "journal_entry_id", "contribution__enrolment__household__village__code"
    ):
        if entry_id is not None:
            found[entry_id] = code
    return found


def _drg_names(codes: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for code, name in (
        Drg.objects.filter(code__in=codes).order_by("code", "-version__code").values_list("code", "name")
    ):
        names.setdefault(code, name)
    return names


def _item_label(entry: JournalEntry, source: str, anonymous: set[str]) -> str:
    if entry.kind == EntryKind.DONATION and entry.receipt_number in anonymous:
        return rules.ANONYMOUS_DONOR
    if entry.kind == EntryKind.INTEREST or source == "interest":
        return "银行存款利息"
    name = entry.counterparty or entry.memo or SOURCE_LABELS.get(source, source)
    if entry.kind == EntryKind.PLEDGE:
        return f"{name}（应收，承诺拨付）"
    return name


def _subsidies(entry_ids: list[int], villages: dict[str, str]) -> tuple[list[dict], int]:
    decisions = list(
        Decision.objects.filter(journal_entry_id__in=entry_ids, outcome=DecisionOutcome.APPROVED)
        .select_related("claim")
        .order_by("claim__village_code", "decided_at", "claim_id")
    )
    members = {
        m["pk"]: m
        for m in Member.objects.filter(pk__in={d.claim.member_id for d in decisions}).values(
            "pk", "name", "birth_date"
        )
    }
    names = _drg_names({d.drg_code or d.claim.drg_code for d in decisions} - {""})
    rows, total = [], 0
    for d in decisions:
        claim: Claim = d.claim
        member = members.get(claim.member_id)
        drg = d.drg_code or claim.drg_code
        rows.append(
            {
                "no": claim.pk,
                "village_code": claim.village_code,
                "village": villages.get(claim.village_code, claim.village_code),
                "name": mask_name(member["name"]) if member else "—",
                "age_band": rules.age_band(member["birth_date"], claim.admission_date) if member else "—",
                "drg": names.get(drg, "未入组") if drg else "未入组",
                "hospital_level": HospitalLevel(claim.hospital_level).label
                if claim.hospital_level in HospitalLevel.values
                else "—",
                "amount_fen": d.amount_fen,
                "status": "已发放" if claim.state in PAID_STATES else claim.get_state_display(),
            }
        )
        total += d.amount_fen
    return rows, total


REOPEN_MEMO = "冲减已核准补助，重新审核"  # the memo of claims' reopen_claim reversal


def _recoveries(entries: list[JournalEntry]) -> list[dict]:
    rows = []
    for entry in entries:
        for line in entry.lines.all():
            if line.account.key == EXPENSE_SUBSIDIES and line.side == Side.CREDIT:
                if entry.kind == EntryKind.SUBSIDY_RECOVERY:
                    label = "追回补助"
                elif entry.memo.startswith(REOPEN_MEMO):  # claims' reopen_claim: an objection upheld
                    label = "退回重新审核，冲减已核准补助"
                else:
                    label = "补助冲减（冲销）"
                rows.append(
                    {"date": entry.entry_date.isoformat(), "label": label, "amount_fen": line.amount_fen}
                )
    return rows


def _objections(month: date) -> list[dict]:
    """Objections to earlier months' disclosures (the caller drops those an earlier disclosure already showed
    answered), without any objector's identity."""
    rows = []
    objections = list(Objection.objects.filter(disclosure__month__lt=month).order_by("submitted_at", "id"))
    claims = {
        c["pk"]: c
        for c in Claim.objects.filter(pk__in={o.claim_id for o in objections}).values(
            "pk", "state", "amount_fen"
        )
    }
    for o in objections:
        claim = claims.get(o.claim_id)
        rows.append(
            {
                "id": o.pk,
                "subject": o.subject,
                "reason": o.reason,
                "state": ObjectionState(o.state).label,
                "answer": o.answer,
                "outcome": o.outcome,
                # the objected claim's real state when this disclosure was built (e.g. 重新审核中)
                "result": rules.claim_result(claim["state"], claim["amount_fen"]) if claim else "—",
            }
        )
    return rows


def build(month: date, *, town_name: str, town_code: str, shown_objections: set[int] = frozenset()) -> Built:  # type: ignore[assignment]
    month = rules.month_start(month)
    end = rules.month_end(month)
    villages = _villages()
    anonymous = set(DonorDisplay.objects.filter(anonymous=True).values_list("receipt_number", flat=True))
    entries = list(
        JournalEntry.objects.filter(entry_date__gte=month, entry_date__lte=end)
        .prefetch_related("lines__account")
        .order_by("entry_date", "scheme_year", "number")
    )
    person_villages = _person_villages([e.pk for e in entries])

    inflow_items: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    subsidy_fen = fees_fen = other_out_fen = transfers_fen = bank_in = bank_out = 0
    subsidy_entry_ids: list[int] = []
    recovery_entries: list[JournalEntry] = []
    bank_in_by_kind: dict[str, int] = defaultdict(int)
    bank_out_by_kind: dict[str, int] = defaultdict(int)
    for entry in entries:
        system = entry.kind in SYSTEM_KINDS
        for line in entry.lines.all():
            account = line.account
            if account.key == BANK:
                if line.side == Side.DEBIT:
                    bank_in += line.amount_fen
                    bank_in_by_kind[entry.get_kind_display()] += line.amount_fen
                else:
                    bank_out += line.amount_fen
                    bank_out_by_kind[entry.get_kind_display()] += line.amount_fen
            if system:
                continue
            if account.kind == AccountKind.INCOME:
                source = account.source
                if source == FundingSource.PERSON:
                    code = person_villages.get(entry.pk, "")
                    label = villages.get(code, NO_VILLAGE) if code else NO_VILLAGE
                else:
                    label = _item_label(entry, source, anonymous)
                inflow_items[source][label] += _signed(line)
            elif account.key == EXPENSE_SUBSIDIES:
                if line.side == Side.DEBIT:
                    subsidy_fen += line.amount_fen
                    subsidy_entry_ids.append(entry.pk)
                else:
                    subsidy_fen -= line.amount_fen
                    recovery_entries.append(entry)
            elif account.key == EXPENSE_SERVICE_FEES:
                fees_fen += _signed(line)
            elif account.kind == AccountKind.EXPENSE:  # recoveries written off (核销), any other outflow
                other_out_fen += _signed(line)
        if system:
            # Year-end transfers move money between scheme years; their effect on the whole fund is shown as is.
            for line in entry.lines.all():
                if line.account.kind == AccountKind.ASSET:
                    transfers_fen += line.amount_fen if line.side == Side.DEBIT else -line.amount_fen
                elif line.account.kind == AccountKind.LIABILITY:
                    transfers_fen -= line.amount_fen if line.side == Side.CREDIT else -line.amount_fen

    order = {s: i for i, s in enumerate(SOURCE_LABELS)}
    inflows: list[dict] = []
    for source in sorted(inflow_items, key=lambda s: order.get(s, 99)):
        items: list[dict] = [
            {"label": k, "amount_fen": v} for k, v in sorted(inflow_items[source].items()) if v
        ]
        amount = sum(i["amount_fen"] for i in items)
        if items:
            inflows.append(
                {
                    "source": source,
                    "label": SOURCE_LABELS.get(source, source),
                    "amount_fen": amount,
                    "items": items,
                }
            )
    inflow_fen = sum(i["amount_fen"] for i in inflows)

    subsidies, detailed_fen = _subsidies(subsidy_entry_ids, villages)
    recoveries = _recoveries(recovery_entries)
    recovered_fen = sum(r["amount_fen"] for r in recoveries)
    gross_subsidy_fen = subsidy_fen + recovered_fen
    unexplained_fen = gross_subsidy_fen - detailed_fen
    outflow_fen = subsidy_fen + fees_fen + other_out_fen

    bank0, recv0, pay0, _, _ = _position(month - timedelta(days=1))
    bank1, recv1, pay1, debits, credits = _position(end)
    opening = bank0 + recv0 - pay0
    closing = bank1 + recv1 - pay1
    identity = opening + inflow_fen - outflow_fen + transfers_fen == closing
    balanced = debits == credits
    bank_ok = bank0 + bank_in - bank_out == bank1
    checks = {
        "ledger_balanced": balanced,
        "totals_reconcile": identity,
        "bank_reconciles": bank_ok,
        "subsidy_details_complete": unexplained_fen == 0,
        "debit_total_fen": debits,
        "credit_total_fen": credits,
    }
    notices = [
        {"date": n.published_at.date().isoformat(), "title": n.title, "body": n.body}
        for n in TownNotice.objects.filter(
            published_at__date__gte=month, published_at__date__lte=end
        ).order_by("published_at", "pk")
    ]
    objections = [o for o in _objections(month) if o["id"] not in shown_objections]
    content = {
        "town": {"code": town_code, "name": town_name},
        "month": f"{month:%Y-%m}",
        "period": {"start": month.isoformat(), "end": end.isoformat()},
        "opening_fen": opening,
        "inflows": inflows,
        "inflow_fen": inflow_fen,
        "subsidies": subsidies,
        "subsidy_fen": gross_subsidy_fen,
        "subsidy_unexplained_fen": unexplained_fen,
        "service_fee_fen": fees_fen,
        "recoveries": recoveries,
        "recovered_fen": recovered_fen,
        "written_off_fen": other_out_fen,
        "outflow_fen": outflow_fen,
        "transfers_fen": transfers_fen,
        "closing_fen": closing,
        "position": {
            "bank_fen": bank1,
            "receivables_fen": recv1,
            "payables_fen": pay1,
        },
        "bank": {
            "opening_fen": bank0,
            "in_fen": bank_in,
            "out_fen": bank_out,
            "closing_fen": bank1,
            "in_by_kind": dict(sorted(bank_in_by_kind.items())),
            "out_by_kind": dict(sorted(bank_out_by_kind.items())),
        },
        "notices": notices,
        "objections": objections,
        "checks": checks,
    }
    reconciled = balanced and identity and bank_ok
    return Built(content, opening, inflow_fen, outflow_fen, closing, reconciled)


def village_content(content: dict, village_code: str) -> dict:
    """A village's version: its own members' subsidies and objections, the town's totals."""
    subsidies = [s for s in content.get("subsidies", []) if s.get("village_code") == village_code]
    return {**content, "subsidies": subsidies, "village_subsidy_fen": sum(s["amount_fen"] for s in subsidies)}


def month_has_activity(month: date) -> bool:
    return JournalEntry.objects.filter(
        Q(entry_date__gte=rules.month_start(month)) & Q(entry_date__lte=rules.month_end(month))
    ).exists()
