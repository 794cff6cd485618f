"""Downloads of a batch's files, after the permission check, each audited: the printouts for signature
(``detail.pdf``, ``detail.xlsx``, ``summary.pdf``, ``summary.xlsx``: town admin and finance) and, once the batch
has been exported (``exportPayoutBatch`` pays it), the bank file again (``bank.xlsx``, ``bank.csv``: finance)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.http import require_GET

from mutualaid.payouts import actions, exports
from mutualaid.payouts import permissions as perms
from mutualaid.payouts.models import BatchState, PayoutBatch
from mutualaid.platform.accounts.permissions import Target, has_permission


def _attachment(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def batch_file(request, pk: int, name: str):
    kind, _, fmt = name.partition(".")
    if (kind, fmt) in exports.PRINTOUTS:
        rule = perms.PRINT_BATCH
    elif kind == "bank" and fmt in ("xlsx", "csv"):
        rule = perms.EXPORT_BATCH
    else:
        return HttpResponseNotFound("文件不存在")
    user = request.user
    town = getattr(request, "tenant", None)
    if town is None or not getattr(user, "is_authenticated", False):
        return HttpResponse("请先登录", status=401)
    if not has_permission(user, rule, Target.town(town.code)):
        return HttpResponseForbidden("无权下载")
    batch = PayoutBatch.objects.filter(pk=pk).first()
    if batch is None:
        return HttpResponseNotFound("批次不存在")
    label = {"detail": "明细表", "summary": "汇总表", "bank": "银行代发"}[kind]
    file_name = f"{town.name}{batch.reference}补助发放{label}.{fmt}"
    if kind == "bank":
        if batch.state not in (BatchState.EXPORTED, BatchState.SETTLED):
            return HttpResponse(
                "批次尚未导出银行代发文件（首次导出请在系统中操作，导出即记账付款）", status=409
            )
        _, content = actions.export_batch(batch, fmt=fmt, actor=user)
        return _attachment(content, exports.CONTENT_TYPES[fmt], file_name)
    render, content_type = exports.PRINTOUTS[(kind, fmt)]
    content = render(batch)
    actions.record_printout(batch, kind=kind, fmt=fmt, actor=user)
    return _attachment(content, content_type, file_name)
