from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "mutualaid.platform.regions"
    label = "regions"
    verbose_name = "行政区划"
