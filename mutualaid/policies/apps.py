from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "mutualaid.policies"
    label = "policies"
    verbose_name = "互助年度政策"

    def ready(self) -> None:
        from mutualaid.platform import demo
        from mutualaid.policies.presets import publish_demo_preset, seed_preset_draft
        from mutualaid.tenants.signals import town_provisioned

        if publish_demo_preset not in demo.TOWN_DEMO_STEPS:
            demo.TOWN_DEMO_STEPS.append(publish_demo_preset)
        town_provisioned.connect(seed_preset_draft, dispatch_uid="policies.seed_preset_draft")
