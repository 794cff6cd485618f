"""Plain pages: the platform's landing page, a health check, and a town's public home page."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from mutualaid.tenants.models import Town, TownStatus


def home(request):
    towns = Town.objects.filter(status=TownStatus.ACTIVE).select_related("county__city__province")
    return render(request, "project/home.html", {"towns": towns})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def town_home(request):
    return render(request, "project/town_home.html", {"town": request.tenant})
