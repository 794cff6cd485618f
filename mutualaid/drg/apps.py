from django.apps import AppConfig


class DrgConfig(AppConfig):
    name = "mutualaid.drg"
    label = "drg"
    verbose_name = "DRG 与 ICD 目录"
