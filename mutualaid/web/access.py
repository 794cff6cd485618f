"""How every console view is guarded and how it runs a write.

- ``town_page(rule)``: a page of the current town (``/t/<code>/…`` or its sub-domain). Anonymous visitors go to
  the sign-in page; a signed-in user the rule does not let into this town gets a 404 (never another town's data).
- ``platform_page(check)``: a page of the platform (county, province, service firm).
- ``perform(form, action, renames)``: run one domain action in one transaction and put its typed
  ValidationErrors next to the form's fields (the domain's snake_case field names; ``renames`` for form fields
  named differently), the rest above the form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import render as django_render

from mutualaid.platform.accounts.permissions import Rule, Target, has_permission, holds_rule
from mutualaid.web import nav


def town_code(request) -> str:
    return request.tenant.code


def allowed(request, rule: Rule, village_code: str | None = None) -> bool:
    return has_permission(request.user, rule, Target.town(town_code(request), village_code))


def require(request, rule: Rule, village_code: str | None = None) -> None:
    """404 unless the user passes ``rule`` in this town (and village)."""
    if not allowed(request, rule, village_code):
        raise Http404("未找到页面")


def town_page(rule: Rule | None = None, *, check: Callable[[Any], bool] | None = None):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if getattr(request, "tenant", None) is None:
                raise Http404("未找到页面")
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if rule is not None and not allowed(request, rule):
                raise Http404("未找到页面")
            if check is not None and not check(request):
                raise Http404("未找到页面")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def platform_page(rule: Rule | None = None, *, check: Callable[[Any], bool] | None = None):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if getattr(request, "tenant", None) is not None:
                raise Http404("未找到页面")
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if rule is not None and not holds_rule(request.user, rule):
                raise Http404("未找到页面")
            if check is not None and not check(request):
                raise Http404("未找到页面")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def add_errors(form, exc: ValidationError, renames: dict[str, str] | None = None) -> None:
    renames = renames or {}
    if form is not None and form.errors is not None and not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}  # an unbound form (errors of an action run without one): add_error needs it
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.error_dict.items():
        name = renames.get(field, field)
        target = name if form is not None and name in form.fields else None
        for error in errors:
            for message in error.messages:
                form.add_error(target, message)


def perform(form, action: Callable[[], Any], renames: dict[str, str] | None = None) -> Any:
    """The action's result, or None with the errors on ``form``."""
    try:
        with transaction.atomic():
            return action()
    except ValidationError as exc:
        add_errors(form, exc, renames)
        return None


def render(request, template: str, context: dict | None = None, *, status: int = 200):
    """A console page: the menus of the site it belongs to come with it."""
    tenant = getattr(request, "tenant", None)
    site = nav.TOWN if tenant is not None else nav.PLATFORM
    base = {
        "town": tenant,
        "menu": nav.menu(request, site) if request.user.is_authenticated else [],
        "member_menu": nav.menu(request, nav.MEMBER) if tenant is not None else [],
    }
    base.update(context or {})
    return django_render(request, template, base, status=status)
