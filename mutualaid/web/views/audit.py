"""The town's audit log (审计日志) for the town admin and the county's auditors (纪检监察/财政审计, read-only, granted for
a town and a period): who, what, when, which object; searchable by user, action, object type and id, and date
range; paginated. Every search is itself written to the audit log, as the API's ``auditLog`` query does.

The auditor's other read-only pages are the console's own (the ledger, claims, payout batches), opened under those
domains' Rules, which already grant auditors read. ``record_auditor_read`` audits an auditor's read of personal
data on them (a claim's page: the stay, diagnoses and documents), like every other personal-data read.
"""

from __future__ import annotations

import json

from django import forms
from django.core.paginator import Paginator
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from mutualaid.claims import permissions as claim_perms
from mutualaid.disclosure import permissions as perms
from mutualaid.funds import permissions as fund_perms
from mutualaid.payouts import permissions as payout_perms
from mutualaid.platform.accounts.permissions import Rule, grants
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, town_code, town_page

nav.register(nav.NavItem("audit-log", "审计日志", "web-audit-log", order=90, rule=perms.READ_AUDIT_LOG))

PAGE_SIZE = 50
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The read-only pages an auditor works from: (label, URL name, the Rule that page checks).
AUDITOR_PAGES: tuple[tuple[str, str, Rule], ...] = (
    ("资金台账", "web-ledger", fund_perms.READ_FUND_LEDGER),
    ("补助申请", "web-claims", claim_perms.READ_CLAIMS),
    ("发放批次", "web-payouts", payout_perms.READ_BATCHES),
)


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("操作人（用户名）"), max_length=150, required=False)
    action = forms.CharField(
        label=gettext_lazy("操作（前缀，如 claims. 或 disclosure.）"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    object_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    object_id = forms.CharField(label=gettext_lazy("对象编号"), max_length=64, required=False)
    since = forms.DateField(label=gettext_lazy("起始日期"), required=False, widget=DATE_INPUT)
    until = forms.DateField(label=gettext_lazy("截止日期"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, object_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["object_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "全部"), *((t, t) for t in object_types)]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "截止日期不能早于起始日期")
        return data


def _object_types() -> list[str]:
    return sorted(
        t for t in AuditEvent.objects.values_list("object_type", flat=True).distinct().order_by() if t
    )


def _action_prefixes() -> list[str]:
    """The apps whose actions are in the log (``claims.``, ``funds.`` …), for the action field's suggestions."""
    actions = AuditEvent.objects.values_list("action", flat=True).distinct().order_by()
    return sorted({a.split(".", 1)[0] + "." for a in actions if "." in a})


def _search(data: dict):
    events = AuditEvent.objects.all()
    if data.get("actor"):
        events = events.filter(actor_username=data["actor"].strip())
    if data.get("action"):
        events = events.filter(action__startswith=data["action"].strip())
    if data.get("object_type"):
        events = events.filter(object_type=data["object_type"])
    if data.get("object_id"):
        events = events.filter(object_id=data["object_id"].strip())
    if data.get("since"):
        events = events.filter(at__date__gte=data["since"])
    if data.get("until"):
        events = events.filter(at__date__lte=data["until"])
    return events.order_by("-at", "-id")


def _auditor_pages(request) -> list[dict]:
    pages = []
    for label, url_name, rule in AUDITOR_PAGES:
        if not allowed(request, rule):
            continue
        try:
            pages.append({"label": label, "url": reverse(url_name)})
        except NoReverseMatch:  # an area whose pages are not mounted (yet)
            continue
    return pages


@town_page(perms.READ_AUDIT_LOG)
def audit_log(request):
    form = AuditSearchForm(request.GET or None, object_types=_object_types())
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = None
    if not form.is_bound or form.is_valid():
        page = Paginator(_search(data), PAGE_SIZE).get_page(request.GET.get("page"))
        filters = {k: str(v) for k, v in data.items() if v}
        rows = len(page.object_list)
        number = page.number
        perform(
            form,
            lambda: record_event(
                request.user, "audit.log_searched", None, {**filters, "page": number, "rows": rows}
            ),
        )
    rows = [
        {"event": e, "data": json.dumps(e.data, ensure_ascii=False, sort_keys=True) if e.data else ""}
        for e in (page.object_list if page is not None else [])
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/town/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "prefixes": _action_prefixes(),
            "auditor_pages": _auditor_pages(request),
        },
    )


def is_auditor_here(request) -> bool:
    """Whether the user reads this town as an auditor (and holds no other role in it that reads the same)."""
    code = town_code(request)
    held = {g.role for g in grants(request.user) if code in g.town_codes}
    return Role.AUDITOR in held and held <= {Role.AUDITOR, Role.MEMBER}


def record_auditor_read(request, action: str, obj, data: dict | None = None) -> None:
    """Audit an auditor's read of personal data on a console page (``<app>.auditor_read``: which object, never its
    content). Other roles' reads are audited where their domains audit them."""
    if request.user.is_authenticated and is_auditor_here(request):
        record_event(request.user, action, obj, data or {})
