"""Public disclosure pages of a town (no login): the list of months, a month's page with the objection form, each
village's version (HTML and PDF for the notice board), csv and JSON exports. Only published revisions are shown;
nothing on them identifies an objector or says whether a phone number belongs to a member."""

from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from mutualaid.disclosure import actions, builder, exports, rules
from mutualaid.disclosure import permissions as perms
from mutualaid.disclosure.models import Disclosure
from mutualaid.enrolment.models import Village
from mutualaid.platform.accounts.permissions import Target, has_permission


def _base(request) -> str:
    """The town's address prefix: ``/t/<code>/`` when routed by path, ``/`` on the town's own host."""
    path = request.path
    marker = "disclosure/"
    return path[: path.index(marker)] if marker in path else "/"


def _published(month_text: str, revision: str | None = None) -> Disclosure:
    try:
        month = rules.parse_month(month_text)
    except ValidationError:
        raise Http404("没有该月公示") from None
    found = Disclosure.objects.published().filter(month=month)
    if revision:
        found = found.filter(revision=int(revision)) if revision.isdigit() else found.none()
    disclosure = found.order_by("-revision").first()
    if disclosure is None:
        raise Http404("没有该月公示")
    return disclosure


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    return response


@require_GET
def months(request):
    return _public(
        render(
            request,
            "disclosure/list.html",
            {"town": request.tenant, "months": actions.published_months(), "base": _base(request)},
        )
    )


def _villages(disclosure: Disclosure) -> list[dict]:
    """Every village that joined (its notice board shows the town's totals even without a subsidy of its own),
    and any other village with a subsidy this month."""
    codes = {s["village_code"] for s in disclosure.content.get("subsidies", [])}
    rows = (
        Village.objects.filter(Q(joined=True) | Q(code__in=codes))
        .order_by("code")
        .values_list("code", "name")
    )
    return [{"code": code, "name": name} for code, name in rows]


def _month_page(request, disclosure: Disclosure, *, message: str = "", error: str = "", status: int = 200):
    signed_in = has_permission(request.user, perms.OBJECT_SIGNED_IN, Target.town(request.tenant.code))
    context = {
        "town": request.tenant,
        "d": disclosure,
        "base": _base(request),
        "revisions": list(Disclosure.objects.published().filter(month=disclosure.month).order_by("revision")),
        "villages": _villages(disclosure),
        "open_for_objections": bool(
            disclosure.objection_until
            and actions.today() <= disclosure.objection_until
            and disclosure.content.get("subsidies")
        ),
        "signed_in": signed_in,
        "reason_max": rules.REASON_MAX,
        "message": message,
        "error": error,
    }
    return _public(render(request, "disclosure/month.html", context, status=status))


@require_GET
def month(request, month: str):
    return _month_page(request, _published(month, request.GET.get("rev")))


def _attachment(content: bytes, content_type: str, file_name: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(file_name)}"
    return _public(response)


@require_GET
def export(request, month: str, fmt: str):
    disclosure = _published(month, request.GET.get("rev"))
    name = f"{request.tenant.name}{disclosure.label}互助资金公示.{fmt}"
    if fmt == "csv":
        return _attachment(exports.csv_bytes(disclosure), "text/csv; charset=utf-8", name)
    if fmt == "json":
        return _attachment(
            exports.json_bytes(disclosure), "application/json; charset=utf-8", name, inline=True
        )
    raise Http404("格式不支持")


def _village(disclosure: Disclosure, code: str) -> tuple[dict, str]:
    village = Village.objects.filter(code=code).values_list("name", flat=True).first()
    if village is None:
        raise Http404("没有该村")
    return builder.village_content(disclosure.content, code), village


@require_GET
def village(request, month: str, code: str):
    disclosure = _published(month, request.GET.get("rev"))
    content, name = _village(disclosure, code)
    context = {
        "town": request.tenant,
        "d": disclosure,
        "c": content,
        "village_name": name,
        "village_code": code,
        "base": _base(request),
    }
    return _public(render(request, "disclosure/village.html", context))


@require_GET
def village_pdf(request, month: str, code: str):
    disclosure = _published(month, request.GET.get("rev"))
    content, name = _village(disclosure, code)
    pdf = exports.village_pdf(disclosure, content, name)
    return _attachment(
        pdf, "application/pdf", f"{request.tenant.name}{name}{disclosure.label}公示.pdf", inline=True
    )


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or ""


def _first_error(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        for errors in error.error_dict.values():
            return str(errors[0].message)
    return str(error.messages[0]) if error.messages else "提交失败"


@require_http_methods(["POST"])
def objection(request, month: str):
    disclosure = _published(month)
    step = request.POST.get("step", "submit")
    address = _client_address(request)
    try:
        if step == "code":
            actions.request_code(request.POST.get("phone", ""), address=address)
            return _month_page(request, disclosure, message="如手机号正确，验证码已发送，10 分钟内有效。")
        claim = request.POST.get("claim", "")
        signed_in = has_permission(request.user, perms.OBJECT_SIGNED_IN, Target.town(request.tenant.code))
        actions.submit_objection(
            disclosure,
            int(claim) if claim.isdigit() else -1,
            request.POST.get("reason", ""),
            user=request.user if signed_in else None,
            phone=request.POST.get("phone", ""),
            code=request.POST.get("code", ""),
            address=address,
        )
    except ValidationError as error:
        return _month_page(request, disclosure, error=_first_error(error), status=400)
    return _month_page(request, disclosure, message="异议已提交，核查结果将在下期公示。")
