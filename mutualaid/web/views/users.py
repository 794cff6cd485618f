"""The town's people: who holds which role in the town, and inviting finance staff and village coordinators
(an SMS code to set a password). Who may give which role is the platform's GRANT_ROLE, checked by can_grant."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from mutualaid.enrolment.models import Village
from mutualaid.platform.accounts import people
from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.permissions import (
    LIST_ROLE_ASSIGNMENTS,
    Target,
    can_grant,
    visible_assignments_filter,
)
from mutualaid.platform.accounts.roles import Role
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, town_code, town_page

nav.register(nav.NavItem("users", "人员与角色", "web-users", order=80, rule=LIST_ROLE_ASSIGNMENTS))

TOWN_ROLES = (Role.TOWN_FINANCE, Role.VILLAGE_COORDINATOR, Role.TOWN_ADMIN)


class InviteForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20)
    display_name = forms.CharField(label=gettext_lazy("姓名"), max_length=64, required=False)
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=[(r.value, r.label) for r in TOWN_ROLES])
    village_code = forms.ChoiceField(label=gettext_lazy("村（村协管员）"), required=False)


@town_page(LIST_ROLE_ASSIGNMENTS)
def users(request):
    town = request.tenant
    form = InviteForm(request.POST or None)
    form.fields["village_code"].choices = [("", "—")] + [
        (v.code, f"{v.name}（{v.code}）") for v in Village.objects.order_by("code")
    ]
    may_invite = any(can_grant(request.user, r, Target.town(town.code)) for r in TOWN_ROLES)
    if request.method == "POST":
        if not may_invite:
            raise Http404("未找到页面")
        if form.is_valid():
            data = form.cleaned_data
            village = data["village_code"] if data["role"] == Role.VILLAGE_COORDINATOR else ""
            if not can_grant(request.user, data["role"], Target.town(town.code, village or None)):
                form.add_error("role", "无权授予该角色")
            else:
                scope = {"town": town, **({"village_code": village} if village else {})}

                def invite():
                    if data["role"] == Role.VILLAGE_COORDINATOR and not village:
                        raise ValidationError({"village_code": ValidationError("请选择村", code="required")})
                    return people.invite(
                        data["phone"],
                        data["role"],
                        actor=request.user,
                        display_name=data["display_name"],
                        **scope,
                    )

                if perform(form, invite):
                    messages.success(request, "已发送邀请短信")
                    return redirect("web-users")
    assignments = (
        RoleAssignment.objects.filter(visible_assignments_filter(request.user))
        .filter(town__code=town_code(request))
        .select_related("user")
        .order_by("role", "user__username")
    )
    return render(
        request,
        "web/town/users.html",
        {
            "assignments": assignments,
            "form": form,
            "may_invite": may_invite and allowed(request, LIST_ROLE_ASSIGNMENTS),
        },
    )
