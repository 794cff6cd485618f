"""Payouts (补助发放): the town's monthly batches, a batch's lines with its steps (take a line out, approve, export
the bank file, the bank's return by file or by hand), the printouts, and a village coordinator's 本村补助 on a phone.
Recovery of a subsidy got by fraud is in ``recoveries``, bank reconciliation (8a) in ``bank_reconciliation``.

Thin like the mutations: each write checks the payouts domain's declared Rule, calls one action of
``mutualaid.payouts.actions`` in one transaction, and shows its typed errors in Chinese next to the form.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.enrolment.models import Village
from mutualaid.enrolment.permissions import visible_villages
from mutualaid.payouts import actions, bank_return, exports
from mutualaid.payouts import permissions as perms
from mutualaid.payouts.models import (
    BatchState,
    LineKind,
    LineState,
    PayoutBatch,
    PayoutLine,
    Recovery,
)
from mutualaid.platform.crypto import mask_name
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, require, town_code, town_page
from mutualaid.web.views.audit import record_auditor_read

nav.register(nav.NavItem("payouts", "补助发放", "web-payouts", order=70, rule=perms.READ_BATCHES))
nav.register(
    nav.NavItem(
        "village-payouts",
        "本村补助",
        "web-village-payouts",
        order=73,
        rule=perms.READ_VILLAGE_PAYOUTS,
        visible=lambda request: not allowed(request, perms.READ_BATCHES),  # the town office has 补助发放
    )
)

STEPS = (BatchState.PREPARED, BatchState.APPROVED, BatchState.EXPORTED, BatchState.SETTLED)
PRINTOUTS = (
    ("detail.pdf", "明细表 PDF"),
    ("summary.pdf", "汇总表 PDF"),
    ("detail.xlsx", "明细表 Excel"),
    ("summary.xlsx", "汇总表 Excel"),
)
BANK_FILES = (("bank.xlsx", "银行代发文件 Excel"), ("bank.csv", "银行代发文件 CSV"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200)


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("文件格式"), choices=[("xlsx", "Excel（xlsx）"), ("csv", "CSV")]
    )


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("银行回盘文件（csv 或 xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class MarkForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        label=gettext_lazy("结果"), choices=[("paid", "已到账"), ("returned", "银行退回")]
    )
    reason = forms.CharField(label=gettext_lazy("退回原因"), max_length=200, required=False)


def _batch(pk: int) -> PayoutBatch:
    batch = PayoutBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise Http404("未找到页面")
    return batch


# --- the list of batches ------------------------------------------------------------------------------------------


@town_page(perms.READ_BATCHES)
def batch_list(request):
    errors = forms.Form()
    if request.method == "POST":
        require(request, perms.PREPARE_BATCH)
        result = perform(errors, lambda: actions.gather_batch(actor=request.user))
        if result is not None:
            batch, created = result
            if created:
                messages.success(request, f"已编制{batch.month:%Y年%m月}发放批次：{batch.line_count} 笔")
            else:
                messages.success(request, f"{batch.month:%Y年%m月}发放批次已存在")
            return redirect("web-payout-batch", pk=batch.pk)
    year = request.GET.get("year", "")
    batches = PayoutBatch.objects.all()
    years = sorted({m.year for m in batches.values_list("month", flat=True)}, reverse=True)
    if year.isdigit():
        batches = batches.filter(month__year=int(year))
    month = actions.due_month()
    context = {
        "batches": list(batches),
        "years": years,
        "year": int(year) if year.isdigit() else None,
        "errors": errors,
        "may_prepare": allowed(request, perms.PREPARE_BATCH),
        "this_month": month,
        "this_month_exists": PayoutBatch.objects.filter(month=month).exists(),
    }
    return render(request, "web/town/payouts.html", context)


# --- one batch ----------------------------------------------------------------------------------------------------

BATCH_ACTIONS = {
    "remove": perms.PREPARE_BATCH,
    "approve": perms.APPROVE_BATCH,
    "export": perms.EXPORT_BATCH,
    "import_return": perms.RECORD_RETURNS,
    "mark": perms.RECORD_RETURNS,
    "reverse": perms.RECORD_RETURNS,  # a paid line recalled after approval (as reversePayoutLine)
}


@town_page(perms.READ_BATCHES)
def batch_detail(request, pk: int):
    batch = _batch(pk)
    user = request.user
    remove_form, approve_form, export_form = ReasonForm(), forms.Form(), ExportForm()
    return_form, mark_form = ReturnFileForm(), MarkForm()
    failed_line: int | str | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in BATCH_ACTIONS:
            raise Http404("未找到页面")
        require(request, BATCH_ACTIONS[action])
        done = None
        if action in ("remove", "reverse"):
            remove_form = ReasonForm(request.POST)
            line = PayoutLine.objects.filter(batch=batch, pk=request.POST.get("line") or 0).first()
            if line is None:
                raise Http404("未找到页面")
            failed_line = line.pk
            if remove_form.is_valid():
                write = actions.remove_line if action == "remove" else bank_return.reverse_line
                done = perform(
                    remove_form, lambda: write(line, reason=remove_form.cleaned_data["reason"], actor=user)
                )
        elif action == "approve":
            done = perform(approve_form, lambda: actions.approve_batch(batch, actor=user))
        elif action == "export":
            export_form = ExportForm(request.POST)
            if export_form.is_valid():
                fmt = export_form.cleaned_data["format"]
                done = perform(export_form, lambda: actions.export_batch(batch, fmt=fmt, actor=user))
        elif action == "import_return":
            return_form = ReturnFileForm(request.POST, request.FILES)
            if return_form.is_valid():
                f = return_form.cleaned_data["file"]
                done = perform(
                    return_form,
                    lambda: bank_return.import_return(batch, f.read(), file_name=f.name or "", actor=user),
                    {"lines": "file"},
                )
        else:
            mark_form = MarkForm(request.POST)
            failed_line = mark_form.data.get("line")
            if mark_form.is_valid():
                data = mark_form.cleaned_data
                result = (data["line"], data["result"] == "paid", data["reason"])
                done = perform(mark_form, lambda: bank_return.mark_lines(batch, [result], actor=user))
        if done is not None:
            messages.success(request, DONE_MESSAGES[action])
            return redirect(request.get_full_path())
        batch.refresh_from_db()
    lines = batch.lines.all().order_by("kind", "village_code", "id")
    village = request.GET.get("village", "")
    state = request.GET.get("state", "")
    if village:
        lines = lines.filter(village_code=village)
    if state in LineState.values:
        lines = lines.filter(state=state)
    page = Paginator(lines, 200).get_page(request.GET.get("page"))
    recovered = set(
        Recovery.objects.filter(claim_id__in=[line.claim_id for line in page if line.claim_id]).values_list(
            "claim_id", flat=True
        )
    )
    rows = [_line_row(line, recovered) for line in page]
    villages, count, total = exports.summary(batch)
    step = STEPS.index(batch.state)  # type: ignore[arg-type]
    can = {name: allowed(request, rule) for name, rule in BATCH_ACTIONS.items()}
    context = {
        "batch": batch,
        "rows": rows,
        "page": page,
        "village": village,
        "state": state,
        "line_states": LineState.choices,
        "village_choices": list(
            batch.lines.exclude(village_code="")
            .order_by("village_code")
            .values_list("village_code", "village_name")
            .distinct()
        ),
        "villages": villages,
        "count": count,
        "total": total,
        "steps": [
            {"label": s.label, "done": i <= step, "current": i == step, "when": _step_when(batch, s)}
            for i, s in enumerate(STEPS)
        ],
        "may_remove": can["remove"] and batch.state == BatchState.PREPARED,
        "may_approve": can["approve"] and batch.state == BatchState.PREPARED,
        "may_export": can["export"] and batch.state != BatchState.PREPARED,
        "exported": batch.state in (BatchState.EXPORTED, BatchState.SETTLED),
        "may_record": can["mark"] and batch.state == BatchState.EXPORTED,
        "may_reverse": can["reverse"] and batch.state in (BatchState.EXPORTED, BatchState.SETTLED),
        "may_recover": allowed(request, perms.RECOVER_CLAIM),
        "may_print": allowed(request, perms.PRINT_BATCH),
        "printouts": [(reverse("payout-batch-file", args=[batch.pk, n]), label) for n, label in PRINTOUTS],
        "bank_files": [(reverse("payout-batch-file", args=[batch.pk, n]), label) for n, label in BANK_FILES],
        "remove_form": remove_form,
        "approve_form": approve_form,
        "export_form": export_form,
        "return_form": return_form,
        "mark_form": mark_form,
        "failed_line": int(str(failed_line)) if str(failed_line or "").isdigit() else None,
    }
    record_auditor_read(request, "payouts.auditor_read", batch, {"page": "batch"})
    return render(request, "web/town/payout_batch.html", context)


DONE_MESSAGES = {
    "remove": "已将该明细移出批次（该申请将列入下月批次）",
    "approve": "批次已审批",
    "export": "已导出银行代发文件并记账付款：请下载文件交银行",
    "import_return": "已登记银行回盘",
    "mark": "已登记发放结果",
    "reverse": "已冲销该明细（款项退回专户，该申请将列入下月批次）",
}


def _step_when(batch: PayoutBatch, state: str):
    if state == BatchState.PREPARED:
        return batch.prepared_at, batch.prepared_by_username
    if state == BatchState.APPROVED:
        return batch.approved_at, batch.approved_by_username
    if state == BatchState.EXPORTED:
        return batch.exported_at, batch.exported_by_username
    return batch.settled_at, ""


def _line_row(line: PayoutLine, recovered: set[int]) -> dict:
    subsidy = line.kind == LineKind.SUBSIDY
    return {
        "line": line,
        "name": mask_name(line.payee_name) if subsidy else line.payee_name,
        "subsidy": subsidy,
        "recovered": line.claim_id in recovered,
    }


# --- 本村补助: a village coordinator's own village ------------------------------------------------------------------

PENDING = (ClaimState.APPROVED, ClaimState.IN_BATCH)


def _village_rows(request, village_code: str) -> list[dict]:
    """The paid and pending subsidies of the village's members (as the API's villagePayouts shows them; the
    payouts domain has no selector for it, so read here from its models)."""
    claims = list(
        Claim.objects.filter(village_code=village_code, state__in=(*PENDING, ClaimState.PAID))
        .select_related("member")
        .order_by("-decided_at", "-pk")[:2000]
    )
    lines: dict[int, PayoutLine] = {}
    for line in (
        PayoutLine.objects.filter(claim_id__in=[c.pk for c in claims]).select_related("batch").order_by("id")
    ):
        if line.claim_id is not None and (line.state != LineState.REMOVED or line.claim_id not in lines):
            lines[line.claim_id] = line
    full = claim_perms.can_in(
        request.user, claim_perms.READ_FULL_NAMES, town_code(request), village_code, household_id=-1
    )
    rows = []
    for claim in claims:
        found = lines.get(claim.pk)
        paid = claim.state == ClaimState.PAID
        rows.append(
            {
                "claim": claim,
                "name": claim.member.name if full else mask_name(claim.member.name),
                "paid": paid,
                "batch_month": found.batch.month if found and claim.state != ClaimState.APPROVED else None,
                "paid_on": found.batch.paid_on if found and paid else None,
                "returned": found.return_reason if found and found.state == LineState.RETURNED else "",
            }
        )
    return rows


@town_page(perms.READ_VILLAGE_PAYOUTS)
def village_payouts(request):
    codes = visible_villages(request.user, perms.READ_VILLAGE_PAYOUTS, town_code(request))
    villages = Village.objects.order_by("code")
    if codes is not None:
        villages = villages.filter(code__in=codes)
    choices = list(villages.values_list("code", "name"))
    asked = request.GET.get("village", "")
    village_code = asked or (choices[0][0] if choices else "")
    rows: list[dict] = []
    if village_code:
        require(request, perms.READ_VILLAGE_PAYOUTS, village_code)
        rows = _village_rows(request, village_code)
    context = {
        "villages": choices,
        "village_code": village_code,
        "village_name": dict(choices).get(village_code, ""),
        "rows": rows,
        "paid_fen": sum(r["claim"].amount_fen or 0 for r in rows if r["paid"]),
        "pending_fen": sum(r["claim"].amount_fen or 0 for r in rows if not r["paid"]),
    }
    return render(request, "web/town/payout_village.html", context)
