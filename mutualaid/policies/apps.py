from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "mutualaid.policies"
    label = "policies"
    verbose_name = "互助年度政策"
    # Run by the demo runner (mutualaid.project.demo) inside each demo town's schema.
    town_demo_steps = ("mutualaid.policies.presets.publish_demo_preset",)
    # After every app's steps: the one-click design reads the enrolment and funds demo data.
    town_demo_late_steps = ("mutualaid.policies.design_inputs.demo_scheme_design",)

    def ready(self) -> None:
        from mutualaid.policies.presets import seed_preset_draft
        from mutualaid.tenants.signals import town_provisioned

        town_provisioned.connect(seed_preset_draft, dispatch_uid="policies.seed_preset_draft")
