"""The console's pages of the platform (county, province, service firms; mounted by urls_public.py)."""

from django.urls import path

from mutualaid.web.views import auth, platform, supervision

urlpatterns = [
    path("login/", auth.login_view, name="web-login"),
    path("logout/", auth.logout_view, name="web-logout"),
    path("language/", auth.language_view, name="web-language"),
    path("console/", platform.console, name="web-console"),
    path("console/onboarding/", platform.onboarding, name="web-onboarding"),
    path("console/review/", platform.review_queue, name="web-review-queue"),
    # supervision (county, province)
    path("console/supervision/reports/", supervision.reports, name="web-sup-reports"),
    path("console/supervision/reports/<int:pk>/", supervision.report, name="web-sup-report"),
    path("console/supervision/targets/", supervision.targets, name="web-sup-targets"),
    path("console/supervision/evaluations/", supervision.evaluations, name="web-sup-evaluations"),
    path(
        "console/supervision/evaluations/<str:code>/<int:year>/",
        supervision.evaluation,
        name="web-sup-evaluation",
    ),
    path(
        "console/supervision/evaluations/<str:code>/<int:year>.<str:fmt>",
        supervision.evaluation_file,
        name="web-sup-evaluation-file",
    ),
    path("console/supervision/survey/", supervision.survey, name="web-sup-survey"),
    path("console/supervision/towns/<str:code>/", supervision.town_trend, name="web-sup-town"),
]
