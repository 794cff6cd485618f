from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "mutualaid.reporting"
    label = "reporting"
    verbose_name = "跨镇监督（汇总、季度推进、评估验收）"
    # Platform-level demo content (public schema), run by the demo runner after every town's steps.
    platform_demo_steps = ("mutualaid.reporting.demo.demo_supervision",)

    def ready(self) -> None:
        from mutualaid.reporting import signals

        signals.connect()
