from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "mutualaid.tenants"
    label = "tenants"
    verbose_name = "乡镇（租户）"
