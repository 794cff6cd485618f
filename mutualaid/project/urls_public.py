from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from mutualaid.graphql.views import PlatformGraphQLView
from mutualaid.project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("mutualaid.web.urls_platform")),
    path("graphql/", PlatformGraphQLView.as_view(graphiql=settings.DEBUG), name="graphql"),
]
