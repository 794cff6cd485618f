"""Claims: the town's list, a claim's page (the photos beside the computed decision and its reasons, the DRG the
grouper suggests, the history), the reviewer's actions (start, approve, reject, ask for more with a reason), and
filing a claim for a member (the member on a phone, the village coordinator, the town office) with the three
documents photographed by the phone's camera."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from mutualaid.claims import actions, application, selectors
from mutualaid.claims import permissions as perms
from mutualaid.claims.models import (
    EDITABLE_STATES,
    OPEN_STATES,
    Cause,
    Channel,
    Claim,
    ClaimDocument,
    ClaimState,
    DocumentKind,
    HospitalLevel,
)
from mutualaid.enrolment.models import Member
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.crypto import mask_name
from mutualaid.platform.money import yuan_to_fen
from mutualaid.policies.values import InsuranceType
from mutualaid.web import nav
from mutualaid.web.access import perform, render, town_code, town_page
from mutualaid.web.views.audit import record_auditor_read

STAFF_CLAIMS = perms._without_member(perms.READ_CLAIMS)
nav.register(nav.NavItem("claims", "补助申请", "web-claims", order=50, rule=STAFF_CLAIMS))

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("1", "是"), ("0", "否")]


def visible_claim(request, pk: int, rule=perms.READ_CLAIMS) -> Claim:
    claim = Claim.objects.select_related("member__household__village").filter(pk=pk).first()
    if claim is None or not perms.can(request.user, rule, claim):
        raise Http404("未找到页面")
    return claim


@town_page(STAFF_CLAIMS)
def claim_list(request):
    claims = Claim.objects.filter(perms.visible_filter(request.user, perms.READ_CLAIMS, town_code(request)))
    state = request.GET.get("state", "")
    if state == "open":
        claims = claims.filter(state__in=OPEN_STATES)
    elif state in ClaimState.values:
        claims = claims.filter(state=state)
    claims = claims.select_related("member").order_by("due_date", "-created_at")[:200]
    today = selectors.today()
    rows = [
        {
            "claim": c,
            "name": c.member.name if perms.sees_full_names(request.user, c) else mask_name(c.member.name),
            "overdue": c.state in OPEN_STATES and c.due_date is not None and c.due_date < today,
        }
        for c in claims
    ]
    record_auditor_read(
        request, "claims.auditor_read", None, {"page": "claims", "claims": [c.pk for c in claims]}
    )
    return render(
        request, "web/town/claims.html", {"rows": rows, "state": state, "states": ClaimState.choices}
    )


class ApproveForm(forms.Form):
    drg_code = forms.CharField(label=gettext_lazy("DRG 病组"), max_length=8, required=False)
    amount = forms.CharField(
        label=gettext_lazy("核定金额（元；与计算金额不同须填理由）"), max_length=20, required=False
    )
    override_reason = forms.CharField(label=gettext_lazy("调整理由"), max_length=500, required=False)
    note = forms.CharField(
        label=gettext_lazy("审核意见"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("材料"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=gettext_lazy("照片或 PDF"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,application/pdf", "capture": "environment"}
        ),
    )


@town_page(perms.READ_CLAIMS)
def claim_detail(request, pk: int):
    claim = visible_claim(request, pk)
    user = request.user
    may_review = perms.can(user, perms.REVIEW_CLAIMS, claim)
    may_apply = perms.can(user, perms.APPLY_CLAIM, claim)
    approve_form, reject_form, info_form = ApproveForm(), ReasonForm(), ReasonForm()
    document_form = DocumentForm()
    state_errors = forms.Form()
    if request.method == "POST":
        action = request.POST.get("action")
        done = None
        if action in ("start", "approve", "reject", "request_info"):
            if not may_review:
                raise Http404("未找到页面")
            if action == "start":
                done = perform(state_errors, lambda: actions.start_review(claim, actor=user))
            elif action == "approve":
                approve_form = ApproveForm(request.POST)
                if approve_form.is_valid():
                    data = approve_form.cleaned_data

                    def approve():
                        amount = yuan_to_fen(data["amount"], field="amount_fen") if data["amount"] else None
                        return actions.approve(
                            claim,
                            actor=user,
                            drg_code=data["drg_code"] or None,
                            amount_fen=amount,
                            override_reason=data["override_reason"],
                            note=data["note"],
                        )

                    done = perform(approve_form, approve, {"amount_fen": "amount"})
            elif action == "reject":
                reject_form = ReasonForm(request.POST)
                if reject_form.is_valid():
                    done = perform(
                        reject_form,
                        lambda: actions.reject(claim, actor=user, reason=reject_form.cleaned_data["reason"]),
                    )
            else:
                info_form = ReasonForm(request.POST)
                if info_form.is_valid():
                    done = perform(
                        info_form,
                        lambda: actions.request_info(
                            claim, actor=user, reason=info_form.cleaned_data["reason"]
                        ),
                    )
        elif action in ("upload", "submit"):
            if not may_apply:
                raise Http404("未找到页面")
            if action == "upload":
                document_form = DocumentForm(request.POST, request.FILES)
                if document_form.is_valid():
                    f = document_form.cleaned_data["file"]

                    def upload():
                        application.check_document_size(f.size or 0)
                        return application.upload_document(
                            claim,
                            document_form.cleaned_data["kind"],
                            f.read(),
                            file_name=f.name or "",
                            actor=user,
                        )

                    done = perform(document_form, upload)
            else:
                submit = application.resubmit if claim.state == ClaimState.MORE_INFO else application.submit
                done = perform(state_errors, lambda: submit(claim, actor=user))
        if done is not None:
            messages.success(request, "已办理")
            return redirect(request.path)
        claim.refresh_from_db()
    documents = list(claim.documents.order_by("kind", "-uploaded_at"))
    decision = None
    if may_review or perms.can(user, perms.READ_CLAIM_DOCUMENTS, claim):
        try:
            decision = selectors.preview(claim)
        except ValidationError:
            decision = None
    context = {
        "claim": claim,
        "name": claim.member.name if perms.sees_full_names(user, claim) else mask_name(claim.member.name),
        "documents": documents if perms.can(user, perms.READ_CLAIM_DOCUMENTS, claim) else [],
        "missing": [DocumentKind(k).label for k in application.missing_documents(claim)],
        "decision": decision,
        "decisions": list(claim.decisions.order_by("-decided_at")),
        "events": list(claim.events.order_by("at")),
        "may_review": may_review and claim.state in OPEN_STATES,
        "may_start": may_review and claim.state in (ClaimState.SUBMITTED, ClaimState.RESUBMITTED),
        "may_apply": may_apply and claim.state in EDITABLE_STATES,
        "approve_form": approve_form,
        "reject_form": reject_form,
        "info_form": info_form,
        "document_form": document_form,
        "state_errors": state_errors,
        "phone": request.user.is_authenticated
        and not (may_review or perms.has_role_in(user, town_code(request), Role.TOWN_ADMIN)),
    }
    record_auditor_read(request, "claims.auditor_read", claim, {"page": "claim"})
    return render(request, "web/town/claim.html", context)


@town_page(perms.READ_CLAIM_DOCUMENTS)
def claim_document(request, pk: int, document_pk: int):
    claim = visible_claim(request, pk, perms.READ_CLAIM_DOCUMENTS)
    document = ClaimDocument.objects.filter(claim=claim, pk=document_pk).first()
    if document is None:
        raise Http404("未找到页面")
    application.record_document_read(document, actor=request.user)
    return FileResponse(document.file.open("rb"), content_type=document.content_type)


class ClaimForm(forms.Form):
    hospital_name = forms.CharField(label=gettext_lazy("医院名称"), max_length=128, required=False)
    hospital_level = forms.ChoiceField(
        label=gettext_lazy("医院等级"), choices=[("", "请选择"), *HospitalLevel.choices], required=False
    )
    hospital_designated = forms.ChoiceField(label=gettext_lazy("医保定点医院"), choices=YES_NO, initial="1")
    hospital_mainland = forms.ChoiceField(
        label=gettext_lazy("境内医院（不含港澳台）"), choices=YES_NO, initial="1"
    )
    inpatient = forms.ChoiceField(label=gettext_lazy("住院治疗"), choices=YES_NO, initial="1")
    admission_date = forms.DateField(label=gettext_lazy("入院日期"), widget=DATE_INPUT, required=False)
    discharge_date = forms.DateField(label=gettext_lazy("出院日期"), widget=DATE_INPUT, required=False)
    cause = forms.ChoiceField(label=gettext_lazy("住院原因"), choices=Cause.choices, initial=Cause.ILLNESS)
    insurance_type = forms.ChoiceField(label=gettext_lazy("入院时基本医保"), choices=InsuranceType.choices)
    total_cost = forms.CharField(label=gettext_lazy("住院总费用（元）"), max_length=20, required=False)
    insurance_paid = forms.CharField(
        label=gettext_lazy("基本医保等报销（元）"), max_length=20, required=False
    )
    out_of_pocket = forms.CharField(label=gettext_lazy("个人支付（元）"), max_length=20, required=False)
    diagnosis_codes = forms.CharField(
        label=gettext_lazy("诊断编码（ICD-10，逗号分隔）"), max_length=200, required=False
    )
    procedure_codes = forms.CharField(
        label=gettext_lazy("手术操作编码（可不填）"), max_length=200, required=False
    )
    bank_name = forms.CharField(label=gettext_lazy("开户行"), max_length=64, required=False)
    bank_card = forms.CharField(label=gettext_lazy("收款银行卡号"), max_length=30, required=False)

    RENAMES = {
        "total_cost_fen": "total_cost",
        "insurance_paid_fen": "insurance_paid",
        "out_of_pocket_fen": "out_of_pocket",
    }

    def claim_data(self) -> dict:
        """The domain's dict (amounts in fen: a malformed one is an error of its field)."""
        d = self.cleaned_data
        data = {
            k: d[k]
            for k in ("hospital_name", "hospital_level", "cause", "insurance_type", "bank_name", "bank_card")
        }
        for k in ("hospital_designated", "hospital_mainland", "inpatient"):
            data[k] = d[k] == "1"
        for k in ("admission_date", "discharge_date"):
            data[k] = d[k]
        problems = {}
        for field, name in self.RENAMES.items():
            text = (d[name] or "").strip()
            if text:
                try:
                    data[field] = yuan_to_fen(text, field=field)
                except ValidationError as exc:
                    problems.update(exc.error_dict)
        if problems:
            raise ValidationError(problems)
        for k in ("diagnosis_codes", "procedure_codes"):
            data[k] = [c for c in d[k].replace("，", ",").replace("、", ",").split(",") if c.strip()]
        return data


def applicable_member(request, member_pk) -> Member:
    member = Member.objects.select_related("household__village").filter(pk=member_pk).first()
    if member is None or not perms.can_in(
        request.user,
        perms.APPLY_CLAIM,
        town_code(request),
        member.household.village.code,
        member.household_id,
    ):
        raise Http404("未找到页面")
    return member


def channel_of(request) -> str:
    code = town_code(request)
    if perms.has_role_in(request.user, code, Role.VILLAGE_COORDINATOR):
        return Channel.VILLAGE
    if perms.has_role_in(request.user, code, Role.TOWN_ADMIN):
        return Channel.TOWN
    return Channel.SELF


@town_page(perms.APPLY_CLAIM)
def claim_new(request, member_pk: int):
    member = applicable_member(request, member_pk)
    form = ClaimForm(request.POST or None, initial={"insurance_type": member.insurance_type})
    if request.method == "POST" and form.is_valid():

        def create():
            return application.create_claim(
                member, form.claim_data(), actor=request.user, channel=channel_of(request)
            )

        claim = perform(form, create, ClaimForm.RENAMES)
        if claim is not None:
            messages.success(request, "申请已保存为草稿：请拍照上传三份材料后提交")
            return redirect("web-claim", pk=claim.pk)
    return render(request, "web/town/claim_new.html", {"form": form, "member": member})
