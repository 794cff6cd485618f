"""Sign in (password, with the platform's throttling), sign out, the language switch, and the members' sign-in by
phone number and SMS code (the code lives hashed in the session: six digits, ten minutes, five tries; failures are
counted by the same throttling as passwords)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mutualaid.platform.accounts.backends import client_address, is_throttled
from mutualaid.platform.accounts.models import LoginFailure
from mutualaid.platform.accounts.people import user_by_phone
from mutualaid.platform.accounts.permissions import grants
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.crypto import mask_phone
from mutualaid.platform.sms import send_sms
from mutualaid.web.access import render
from mutualaid.web.forms import CodeForm, LoginForm, PhoneForm

THROTTLED = "登录失败次数过多，请稍后再试"
CODE_TTL_SECONDS = 600
CODE_TRIES = 5
SESSION_KEY = "web_member_code"


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


def landing_url(request, user) -> str:
    """Where a person goes after signing in: their town's console, the member pages, or the platform's pages."""
    tenant = getattr(request, "tenant", None)
    held = grants(user)
    if tenant is not None:
        town_roles = {g.role for g in held if tenant.code in g.town_codes}
        if town_roles == {Role.MEMBER}:
            return reverse("web-member-home")
        if town_roles == {Role.AUDITOR}:  # read-only: the audit log links the ledger, claims and batches
            return reverse("web-audit-log")
        return reverse("web-town-home")
    town_grants = [
        g for g in held if g.role in (Role.TOWN_ADMIN, Role.TOWN_FINANCE, Role.VILLAGE_COORDINATOR)
    ]
    if not user.is_staff and town_grants and len(held) == len(town_grants):
        return f"/t/{sorted(town_grants[0].town_codes)[0]}/console/"
    audits = [g for g in held if g.role == Role.AUDITOR]
    if not user.is_staff and audits and len(held) == len(audits):
        return f"/t/{sorted(audits[0].town_codes)[0]}/console/audit/"
    member = [g for g in held if g.role == Role.MEMBER]
    if not user.is_staff and member and len(held) == len(member):
        return f"/t/{sorted(member[0].town_codes)[0]}/m/"
    return reverse("web-console")


def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        if is_throttled(username, client_address(request)):
            form.add_error(None, THROTTLED)
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                form.add_error(
                    None,
                    THROTTLED if is_throttled(username, client_address(request)) else "用户名或密码不正确",
                )
            elif not user.is_active:
                form.add_error(None, "该账号已停用")
            else:
                login(request, user)
                return HttpResponseRedirect(_safe_next(request) or landing_url(request, user))
    return render(request, "web/login.html", {"form": form, "next": _safe_next(request) or ""})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web-login")


@require_POST
def language_view(request):
    language = request.POST.get("language")
    response = HttpResponseRedirect(_safe_next(request) or "/")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# --- members: phone number and SMS code ------------------------------------------------------------------------------


def _code_hash(user_id: int, code: str) -> str:
    return hmac.new(
        str(settings.SECRET_KEY).encode(), f"web-login:{user_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _member_of_town(user, town_code: str) -> bool:
    return (
        user is not None
        and user.is_active
        and any(g.role == Role.MEMBER and town_code in g.town_codes for g in grants(user))
    )


def member_login_view(request):
    """Step 1: the phone number (a code is sent when it belongs to a member of this town; the page says the same
    either way). Step 2: the code."""
    town = request.tenant
    pending = request.session.get(SESSION_KEY)
    phone_form = PhoneForm(request.POST if request.POST.get("step") == "phone" else None)
    code_form = CodeForm(request.POST if request.POST.get("step") == "code" else None)
    if request.method == "POST" and request.POST.get("step") == "phone" and phone_form.is_valid():
        phone = phone_form.cleaned_data["phone"]
        user = user_by_phone(phone)
        pending = {"masked": mask_phone(phone), "user": None, "hash": "", "at": time.time(), "tries": 0}
        if _member_of_town(user, town.code) and not is_throttled(
            user.get_username(), client_address(request)
        ):
            code = f"{secrets.randbelow(10**6):06d}"
            pending.update(user=user.pk, hash=_code_hash(user.pk, code))
            send_sms(
                phone, f"【乡村公益医疗互助】您的登录验证码为 {code}，10 分钟内有效。如非本人操作请忽略。"
            )
        request.session[SESSION_KEY] = pending
        return redirect("web-member-login")
    if request.method == "POST" and request.POST.get("step") == "code" and pending and code_form.is_valid():
        user = (
            get_user_model().objects.filter(pk=pending.get("user")).first() if pending.get("user") else None
        )
        fresh = time.time() - pending.get("at", 0) < CODE_TTL_SECONDS and pending.get("tries", 0) < CODE_TRIES
        if user is not None and is_throttled(user.get_username(), client_address(request)):
            code_form.add_error("code", THROTTLED)
        elif (
            user is not None
            and fresh
            and hmac.compare_digest(pending["hash"], _code_hash(user.pk, code_form.cleaned_data["code"]))
            and _member_of_town(user, town.code)
        ):
            del request.session[SESSION_KEY]
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return redirect("web-member-home")
        else:
            pending["tries"] = pending.get("tries", 0) + 1
            request.session[SESSION_KEY] = pending
            if user is not None:
                LoginFailure.objects.create(
                    username=user.get_username(), ip_address=request.META.get("REMOTE_ADDR")
                )
            code_form.add_error("code", "验证码错误或已失效，请重新获取")
    return render(
        request,
        "web/member/login.html",
        {"phone_form": phone_form, "code_form": code_form, "pending": pending},
    )
