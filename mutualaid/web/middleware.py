"""Chinese unless the person chose English: browsers send their own language (an English-language Windows in a
town office would otherwise get English pages), so only the language cookie set by the switch counts."""

from __future__ import annotations

from django.conf import settings


class ChineseByDefaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            request.META["HTTP_ACCEPT_LANGUAGE"] = settings.LANGUAGE_CODE
        return self.get_response(request)
