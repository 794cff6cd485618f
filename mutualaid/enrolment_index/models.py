"""The cross-town index of enrolled persons (public schema): one row per person and scheme year, so that one
person cannot be enrolled in two towns in the same year. It holds only a keyed HMAC of the ID number
(``mutualaid.platform.crypto.lookup_hash``), the town's code and the year: no names, no ID numbers."""

from __future__ import annotations

from django.db import models


class EnrolledPerson(models.Model):
    id_hash = models.CharField("身份证号密钥哈希", max_length=64)
    town_code = models.CharField("乡镇区划代码", max_length=9)
    scheme_year = models.IntegerField("互助年度")
    enrolled_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "跨镇参加人员索引"
        constraints = [
            models.UniqueConstraint(fields=["id_hash", "scheme_year"], name="enrolled_person_once_a_year")
        ]
        indexes = [models.Index(fields=["town_code", "scheme_year"], name="enrolled_person_town_year")]

    def __str__(self) -> str:
        return f"{self.town_code}/{self.scheme_year}"
