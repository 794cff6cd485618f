from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "mutualaid.payouts"
    label = "payouts"
    verbose_name = "补助发放"
    town_demo_steps = ("mutualaid.payouts.demo.demo_town_payouts",)
