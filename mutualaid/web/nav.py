"""The console's navigation registry: the one place pages are listed, and where later areas slot theirs in.

An area adds its pages with ``register(NavItem(...))`` at import time of its views module (this package's
``views/<area>.py``) and its URL patterns to ``urls_town.py`` or ``urls_platform.py``; the menu shows an item only to
users its ``visible`` check lets in — the same Rule the page itself checks, so a link is never shown to someone who
would get a 404.

    register(NavItem("payouts", "补助发放", "web-payouts", site=TOWN, order=70, rule=payouts.READ_BATCHES))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from mutualaid.platform.accounts.permissions import Rule, Target, has_permission, holds_rule

TOWN = "town"
PLATFORM = "platform"
MEMBER = "member"


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # Chinese; translated through the catalogue
    url_name: str
    site: str = TOWN  # TOWN: under /t/<code>/; PLATFORM: the platform's pages; MEMBER: the phone pages
    order: int = 50
    rule: Rule | None = None  # checked over the current town (TOWN, MEMBER) or anywhere the user holds it
    visible: Callable | None = None  # (request) -> bool, instead of or as well as ``rule``

    def allowed(self, request) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if self.rule is not None:
            if self.site == PLATFORM:
                if not holds_rule(user, self.rule):
                    return False
            else:
                tenant = getattr(request, "tenant", None)
                if tenant is None or not has_permission(user, self.rule, Target.town(tenant.code)):
                    return False
        return self.visible is None or bool(self.visible(request))


_REGISTRY: dict[str, NavItem] = {}


def register(item: NavItem) -> NavItem:
    _REGISTRY[item.key] = item
    return item


def registered() -> list[NavItem]:
    return sorted(_REGISTRY.values(), key=lambda i: (i.site, i.order, i.key))


def menu(request, site: str) -> list[dict]:
    """The items of ``site`` this request's user may open, with their URLs (in the current URL conf)."""
    found = []
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    for item in registered():
        if item.site != site or not item.allowed(request):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        found.append({"key": item.key, "label": item.label, "url": url, "active": item.url_name == current})
    return found
