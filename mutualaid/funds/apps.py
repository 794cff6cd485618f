from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "mutualaid.funds"
    label = "funds"
    verbose_name = "互助资金池"
    # Run by the demo runner (mutualaid.project.demo) inside each demo town's schema.
    town_demo_steps = ("mutualaid.funds.demo.demo_town_funds",)
