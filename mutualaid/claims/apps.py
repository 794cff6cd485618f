from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "mutualaid.claims"
    label = "claims"
    verbose_name = "补助申请与审核"
    town_demo_steps = ("mutualaid.claims.demo.demo_town_claims",)
