from django.urls import path

from mutualaid.disclosure import views

urlpatterns = [
    path("disclosure/", views.months, name="disclosure-months"),
    path("disclosure/<str:month>.<str:fmt>", views.export, name="disclosure-export"),
    path("disclosure/<str:month>/", views.month, name="disclosure-month"),
    path("disclosure/<str:month>/objection/", views.objection, name="disclosure-objection"),
    path("disclosure/<str:month>/village/<str:code>/", views.village, name="disclosure-village"),
    path("disclosure/<str:month>/village/<str:code>.pdf", views.village_pdf, name="disclosure-village-pdf"),
]
