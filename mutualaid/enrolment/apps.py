from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "mutualaid.enrolment"
    label = "enrolment"
    verbose_name = "户籍成员与参加登记"
    # Run by the demo runner (mutualaid.project.demo) inside each demo town's schema.
    town_demo_steps = ("mutualaid.enrolment.demo.demo_town_enrolment",)
