from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "mutualaid.enrolment"
    label = "enrolment"
    verbose_name = "户籍成员与参加登记"

    def ready(self) -> None:
        from mutualaid.enrolment.demo import demo_town_enrolment
        from mutualaid.platform import demo

        if demo_town_enrolment not in demo.TOWN_DEMO_STEPS:
            demo.TOWN_DEMO_STEPS.append(demo_town_enrolment)
