"""Route each request to the public site or to one town: by host (dagong.<base-domain>) or by path prefix
(/t/<town-code>/...). An unknown, suspended or still-provisioning town is a 404, never the public site."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import get_script_prefix, set_script_prefix

from mutualaid.platform.schemas import tenant_connection, use_public_schema
from mutualaid.tenants.models import Domain, Town, TownStatus

PATH_PREFIX = "/t/"


def _not_found(request, message: str):
    html = render_to_string("project/town_not_found.html", {"message": message}, request=request)
    return HttpResponseNotFound(html)


def _town_from_path(path: str) -> tuple[str | None, str]:
    """('320685107', '/graphql/') for '/t/320685107/graphql/'; (None, path) when there is no prefix."""
    if not path.startswith(PATH_PREFIX):
        return None, path
    rest = path[len(PATH_PREFIX) :]
    key, _, tail = rest.partition("/")
    return key, "/" + tail


class TownRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        use_public_schema()
        request.tenant = None
        # The script prefix is thread-local: restore it afterwards, or later reverse() calls carry /t/<code>/.
        script_prefix = get_script_prefix()
        key, rest = _town_from_path(request.path_info)
        host = request.get_host().split(":")[0].lower()
        town: Town | None = None
        if key is not None:
            town = Town.objects.filter(code=key).first() or Town.objects.filter(slug=key).first()
            if town is None or town.status != TownStatus.ACTIVE:
                return _not_found(request, f"未找到乡镇“{key}”，或该乡镇尚未开通")
            prefix = f"{PATH_PREFIX}{key}"
            request.path_info = rest
            set_script_prefix(request.META.get("SCRIPT_NAME", "") + prefix + "/")
        else:
            domain = Domain.objects.select_related("tenant").filter(domain=host).first()
            if domain is not None:
                town = domain.tenant
                if town.status != TownStatus.ACTIVE:
                    return _not_found(request, f"乡镇“{town.name}”尚未开通或已停用")
            elif host.endswith("." + settings.BASE_DOMAIN) and not host.startswith("www."):
                return _not_found(request, f"未找到域名 {host} 对应的乡镇")
        if town is not None:
            request.tenant = town
            request.urlconf = settings.TOWN_URLCONF
            tenant_connection().set_tenant(town)
        try:
            return self.get_response(request)
        finally:
            use_public_schema()
            set_script_prefix(script_prefix)
