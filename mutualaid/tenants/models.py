"""Towns (the tenants, one PostgreSQL schema each), their domains, and third-party service firms."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class TownStatus(models.TextChoices):
    PROVISIONING = "provisioning", "开通中"
    ACTIVE = "active", "已开通"
    SUSPENDED = "suspended", "已停用"
    FAILED = "failed", "开通失败"


class Town(TenantMixin):
    """A pilot town (试点镇). Its schema is made by cloning the template schema, never on save()."""

    code = models.CharField("乡镇区划代码", max_length=9, unique=True)
    name = models.CharField("名称", max_length=64)
    slug = models.SlugField("子域名", max_length=63, unique=True)
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, related_name="towns")
    status = models.CharField(
        "状态", max_length=16, choices=TownStatus.choices, default=TownStatus.PROVISIONING
    )
    error = models.TextField("开通错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    activated_at = models.DateTimeField("开通时间", null=True, blank=True)
    # The first admin account, made once the schema exists.
    admin_username = models.CharField(max_length=150, blank=True)
    admin_phone_encrypted = models.TextField(blank=True)
    # The town-finance user (镇财政) invited with the first admin, when onboarding names a phone.
    finance_phone_encrypted = models.TextField(blank=True)

    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["code"]
        verbose_name = "乡镇"

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == TownStatus.ACTIVE


class Domain(DomainMixin):
    class Meta:
        verbose_name = "域名"


class ServiceFirm(models.Model):
    """第三方专业服务机构: reviews claims for the towns it serves."""

    name = models.CharField("名称", max_length=128, unique=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    towns = models.ManyToManyField(Town, related_name="service_firms", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "第三方服务机构"

    def __str__(self) -> str:
        return self.name


def town_address(town: Town) -> str:
    """Where people reach a town: its path on the platform's address and its own sub-domain, with the port."""
    public = urlsplit(settings.PUBLIC_URL)
    port = f":{public.port}" if public.port else ""
    domain = town.get_primary_domain()
    return f"{settings.PUBLIC_URL}/t/{town.code}/ 或 {public.scheme}://{domain.domain}{port}/"
