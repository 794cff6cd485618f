from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "mutualaid.platform"
    label = "platform"
    verbose_name = "平台"
