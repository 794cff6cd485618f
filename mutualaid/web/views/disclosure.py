"""Disclosure (公示) and objections (异议) for officials: the months with their draft / published / revision state, a
disclosure's page showing the same body as the public page with publish, refresh and "prepare a correction"
(the next revision, saying what changed), and the objections — the town admin holds a disclosed, unpaid subsidy out
of the payout batch while its objection is open; the service firm's reviewer confirms or reopens the claim with an
answer and records the re-review's outcome. Each write is one domain action under the disclosure app's Rules."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims.models import Claim
from mutualaid.disclosure import actions, rules
from mutualaid.disclosure import permissions as perms
from mutualaid.disclosure.models import Disclosure, Objection, ObjectionState
from mutualaid.enrolment.models import Village
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, require, town_page

nav.register(nav.NavItem("disclosure", "公示", "web-disclosures", order=75, rule=perms.READ_DRAFTS))
nav.register(nav.NavItem("objections", "公示异议", "web-objections", order=76, rule=perms.READ_OBJECTIONS))

OPEN_OBJECTION_STATES = (ObjectionState.OPEN, ObjectionState.REOPENED)


class MonthForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("公示月份（YYYY-MM）"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2023-03", "inputmode": "numeric"}),
    )


class ChangesForm(forms.Form):
    # Not required here: the domain says what is missing, in its own words, next to this field.
    changes = forms.CharField(
        label=format_lazy(gettext_lazy("修改内容说明（不超过 {} 字）"), rules.CHANGES_MAX),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _public_base(request) -> str:
    """The town's public address prefix (``/t/<code>/`` by path, ``/`` on the town's own host)."""
    path = request.path
    marker = "console/"
    return path[: path.index(marker)] if marker in path else "/"


def _months() -> list[dict]:
    """Every month with its revisions (newest month first): the state of the newest revision, and whether a draft
    or a published revision exists."""
    found: dict = {}
    for d in Disclosure.objects.order_by("-month", "-revision"):
        row = found.setdefault(d.month, {"month": d.month, "label": d.label, "revisions": []})
        row["revisions"].append(d)
    rows = list(found.values())
    for row in rows:
        latest = row["revisions"][0]
        row["latest"] = latest
        row["published"] = next((r for r in row["revisions"] if r.is_published), None)
        row["state"] = (
            "revision"
            if latest.revision > 1 and not latest.is_published
            else ("published" if latest.is_published else "draft")
        )
    return rows


STATE_LABELS = {"draft": "草稿（待发布）", "published": "已公示", "revision": "更正版草稿（待发布）"}


@town_page(perms.READ_DRAFTS)
def disclosure_list(request):
    form = MonthForm(request.POST or None)
    may_manage = allowed(request, perms.MANAGE_DISCLOSURES)
    if request.method == "POST":
        require(request, perms.MANAGE_DISCLOSURES)
        if form.is_valid():

            def generate():
                month = rules.parse_month(form.cleaned_data["month"])
                return actions.generate_draft(month, actor=request.user)

            done = perform(form, generate)
            if done is not None:
                disclosure, created = done
                messages.success(
                    request, "已生成草稿，请审核后发布" if created else "该月已有公示，已为您打开"
                )
                return redirect("web-disclosure", pk=disclosure.pk)
    months = _months()
    for row in months:
        row["state_label"] = STATE_LABELS[row["state"]]
    return render(
        request,
        "web/town/disclosures.html",
        {"months": months, "form": form, "may_manage": may_manage, "public": _public_base(request)},
    )


def _villages(disclosure: Disclosure) -> list[dict]:
    codes = {s["village_code"] for s in disclosure.content.get("subsidies", [])}
    rows = Village.objects.filter(Q(joined=True) | Q(code__in=codes)).order_by("code")
    return [{"code": code, "name": name} for code, name in rows.values_list("code", "name")]


@town_page(perms.READ_DRAFTS)
def disclosure_detail(request, pk: int):
    disclosure = Disclosure.objects.filter(pk=pk).first()
    if disclosure is None:
        raise Http404("未找到页面")
    user = request.user
    may_manage = allowed(request, perms.MANAGE_DISCLOSURES)
    changes_form, state_errors = ChangesForm(), forms.Form()
    if request.method == "POST":
        require(request, perms.MANAGE_DISCLOSURES)
        action = request.POST.get("action")
        done = None
        if action == "publish":
            done = perform(state_errors, lambda: actions.publish(disclosure, actor=user))
            notice = "已发布，公示异议期开始"
        elif action == "refresh":
            done = perform(state_errors, lambda: actions.refresh_draft(disclosure, actor=user))
            notice = "已按资金台账重新生成草稿"
        elif action == "revise":
            changes_form = ChangesForm(request.POST)
            if changes_form.is_valid():
                done = perform(
                    changes_form,
                    lambda: actions.revise(
                        disclosure.month, changes=changes_form.cleaned_data["changes"], actor=user
                    ),
                )
            notice = "已生成更正版草稿，请审核后发布"
        else:
            raise Http404("未找到页面")
        if done is not None:
            messages.success(request, notice)
            return redirect("web-disclosure", pk=done.pk)
        disclosure.refresh_from_db()
    revisions = list(Disclosure.objects.filter(month=disclosure.month).order_by("revision"))
    latest = revisions[-1]
    context = {
        "d": disclosure,
        "c": disclosure.content,
        "revisions": revisions,
        "villages": _villages(disclosure) if disclosure.is_published else [],
        "public": _public_base(request),
        "may_publish": may_manage and not disclosure.is_published,
        "may_revise": may_manage and disclosure.is_published and latest.pk == disclosure.pk,
        "changes_form": changes_form,
        "state_errors": state_errors,
        "objections": list(disclosure.objections.order_by("-submitted_at", "-id")[:50])
        if allowed(request, perms.READ_OBJECTIONS)
        else [],
    }
    return render(request, "web/town/disclosure.html", context)


# --- objections ----------------------------------------------------------------------------------------------------


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=format_lazy(gettext_lazy("核查答复（不超过 {} 字；将在下期公示）"), rules.ANSWER_MAX),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("重新审核结果（将在下期公示）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@town_page(perms.READ_OBJECTIONS)
def objection_list(request):
    show = request.GET.get("state", "open")
    objections = Objection.objects.select_related("disclosure")
    if show == "open":
        objections = objections.filter(state__in=OPEN_OBJECTION_STATES)
    elif show == "answered":
        objections = objections.exclude(state=ObjectionState.OPEN)
    claim = request.GET.get("claim", "")
    if claim.isdigit():
        objections = objections.filter(claim_id=int(claim))
    rows = list(objections.order_by("-submitted_at", "-id")[:200])
    return render(
        request,
        "web/town/objections.html",
        {"rows": rows, "show": show, "claim": claim if claim.isdigit() else ""},
    )


@town_page(perms.READ_OBJECTIONS)
def objection_detail(request, pk: int):
    objection = Objection.objects.select_related("disclosure").filter(pk=pk).first()
    if objection is None:
        raise Http404("未找到页面")
    user = request.user
    may_answer = allowed(request, perms.ANSWER_OBJECTIONS)
    may_hold = allowed(request, perms.HOLD_SUBSIDY)
    answer_form, outcome_form, state_errors = AnswerForm(), OutcomeForm(), forms.Form()
    if request.method == "POST":
        action = request.POST.get("action")
        done = None
        if action in ("confirm", "reopen"):
            require(request, perms.ANSWER_OBJECTIONS)
            answer_form = AnswerForm(request.POST)
            if answer_form.is_valid():
                done = perform(
                    answer_form,
                    lambda: actions.answer_objection(
                        objection,
                        reopen=action == "reopen",
                        answer=answer_form.cleaned_data["answer"],
                        actor=user,
                    ),
                )
        elif action == "resolve":
            require(request, perms.ANSWER_OBJECTIONS)
            outcome_form = OutcomeForm(request.POST)
            if outcome_form.is_valid():
                done = perform(
                    outcome_form,
                    lambda: actions.resolve_objection(
                        objection, outcome=outcome_form.cleaned_data["outcome"], actor=user
                    ),
                )
        elif action in ("hold", "release"):
            require(request, perms.HOLD_SUBSIDY)
            done = perform(state_errors, lambda: actions.hold(objection, held=action == "hold", actor=user))
        else:
            raise Http404("未找到页面")
        if done is not None:
            messages.success(request, "已办理")
            return redirect("web-objection", pk=objection.pk)
        objection.refresh_from_db()
    context = {
        "o": objection,
        "public": _public_base(request),
        "sees_claim": _sees_claim(request, objection),
        "may_answer": may_answer and objection.state == ObjectionState.OPEN,
        "may_resolve": may_answer and objection.state == ObjectionState.REOPENED,
        "may_hold": may_hold and objection.is_open and not objection.held,
        "may_release": may_hold and objection.held,
        "sees_drafts": allowed(request, perms.READ_DRAFTS),
        "answer_form": answer_form,
        "outcome_form": outcome_form,
        "state_errors": state_errors,
    }
    return render(request, "web/town/objection.html", context)


def _sees_claim(request, objection: Objection) -> bool:
    """Whether the user may open the objected claim's page (the claims' own rule over its village)."""
    claim = Claim.objects.filter(pk=objection.claim_id).only("village_code", "household_id").first()
    return claim is not None and claim_perms.can(request.user, claim_perms.READ_CLAIMS, claim)
