from django.conf import settings
from django.urls import path

from mutualaid.graphql.views import TownGraphQLView
from mutualaid.platform import views

urlpatterns = [
    path("", views.town_home, name="town-home"),
    path("graphql/", TownGraphQLView.as_view(graphiql=settings.DEBUG), name="town-graphql"),
]
