"""The console's pages of the platform (county, province, service firms; mounted by urls_public.py)."""

from django.urls import path

from mutualaid.web.views import auth, platform

urlpatterns = [
    path("login/", auth.login_view, name="web-login"),
    path("logout/", auth.logout_view, name="web-logout"),
    path("language/", auth.language_view, name="web-language"),
    path("console/", platform.console, name="web-console"),
    path("console/onboarding/", platform.onboarding, name="web-onboarding"),
    path("console/review/", platform.review_queue, name="web-review-queue"),
]
