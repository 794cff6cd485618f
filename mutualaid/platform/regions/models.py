"""National statistical division codes (public schema): 省 → 市 → 县/区 → 乡镇/街道."""

from __future__ import annotations

from django.db import models


class Province(models.Model):
    code = models.CharField("区划代码", max_length=2, unique=True)
    name = models.CharField("名称", max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = "省"

    def __str__(self) -> str:
        return self.name


class City(models.Model):
    code = models.CharField("区划代码", max_length=4, unique=True)
    name = models.CharField("名称", max_length=64)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="cities")

    class Meta:
        ordering = ["code"]
        verbose_name = "市"

    def __str__(self) -> str:
        return self.name


class County(models.Model):  # type: ignore[django-manager-missing]  # Town.county: tenants app, loaded later
    code = models.CharField("区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=64)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="counties")

    class Meta:
        ordering = ["code"]
        verbose_name = "县/区"

    def __str__(self) -> str:
        return self.name

    @property
    def province_code(self) -> str:
        return self.code[:2]


class Township(models.Model):
    """A 9-digit town or street division (乡镇/街道); a Town tenant may be onboarded for it."""

    code = models.CharField("区划代码", max_length=9, unique=True)
    name = models.CharField("名称", max_length=64)
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="townships")

    class Meta:
        ordering = ["code"]
        verbose_name = "乡镇/街道"

    def __str__(self) -> str:
        return self.name
