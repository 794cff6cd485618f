from django.apps import AppConfig


class EnrolmentIndexConfig(AppConfig):
    name = "mutualaid.enrolment_index"
    label = "enrolment_index"
    verbose_name = "跨镇参加人员索引"
