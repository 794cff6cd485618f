from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "mutualaid.funds"
    label = "funds"
    verbose_name = "互助资金池"

    def ready(self):
        from mutualaid.funds.demo import demo_town_funds
        from mutualaid.platform.demo import TOWN_DEMO_STEPS

        if demo_town_funds not in TOWN_DEMO_STEPS:
            TOWN_DEMO_STEPS.append(demo_town_funds)
