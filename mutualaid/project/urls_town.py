from django.conf import settings
from django.urls import include, path

from mutualaid.graphql.views import TownGraphQLView
from mutualaid.payouts import views as payout_views
from mutualaid.policies import views as policy_views
from mutualaid.project import views

urlpatterns = [
    path("", views.town_home, name="town-home"),
    path("graphql/", TownGraphQLView.as_view(graphiql=settings.DEBUG), name="town-graphql"),
    path("", include("mutualaid.web.urls_town")),
    path("rules/", policy_views.town_rules, name="town-rules"),
    path(
        "policies/<int:pk>/subsidy-table.<str:fmt>",
        policy_views.subsidy_table_download,
        name="policy-subsidy-table-download",
    ),
    path("payouts/<int:pk>/<str:name>", payout_views.batch_file, name="payout-batch-file"),
    path("", include("mutualaid.disclosure.urls")),
]
