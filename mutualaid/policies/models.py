"""A town's scheme years (互助年度) and their versioned policies (town schema).

A published ``PolicyVersion`` and its subsidy table are immutable: ``save``, ``delete`` and queryset
``update``/``delete``/``bulk_create`` refuse with ValidationError(code="published_immutable"). A change is a new
version (an amendment) effective from a date, with a reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.parameters import PARAMETERS, model_fields
from mutualaid.policies.terms import EnrolmentTerms, FundingShare, SpecialGroupRule
from mutualaid.policies.values import PolicyValues, SubsidyRow, Threshold, enrolment_terms_of


def _plain(value):
    """A list column (e.g. excluded causes) as the tuple ``PolicyValues`` holds."""
    return tuple(value) if isinstance(value, list) else value


def immutable_error() -> ValidationError:
    return ValidationError(
        {
            "policy": ValidationError(
                "已发布的政策版本不可修改；请以修订（新版本）方式变更", code="published_immutable"
            )
        }
    )


class SchemeYear(models.Model):
    """互助年度, named by the year enrolment happens in (2022 = coverage 2022-11-01 … 2023-10-31 in 新胜镇)."""

    year = models.PositiveIntegerField("互助年度", unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = "互助年度"

    def __str__(self) -> str:
        return f"{self.year}互助年度"


class PolicyVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=PolicyStatus.PUBLISHED)

    def update(self, **kwargs):
        if self.filter(status=PolicyStatus.PUBLISHED).exists():
            raise immutable_error()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=PolicyStatus.PUBLISHED).exists():
            raise immutable_error()
        return super().delete()


class PolicyVersion(models.Model):
    scheme_year = models.ForeignKey(SchemeYear, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    effective_from = models.DateField("修订生效日期", null=True, blank=True)
    amendment_reason = models.TextField("修订原因", blank=True)
    preset_key = models.CharField("来源预设", max_length=64, blank=True)
    # Provenance: names of the parameters that the town's document does not give (filled in by a default).
    defaulted_fields = models.JSONField("文件未规定（默认值）的参数", default=list, blank=True)

    # --- the parameters: one column each, from the registry (mutualaid.policies.parameters), in its order ---
    locals().update(model_fields(PARAMETERS))
    # --- structured lists (set by their own actions) ---
    funding_shares = models.JSONField("筹资结构", default=list, blank=True)  # [{source, amount_fen}]
    special_groups = models.JSONField(
        "特殊困难群体", default=list, blank=True
    )  # [{category, treatment, paid_by}]
    thresholds = models.JSONField(
        "补助起付条件", default=list, blank=True
    )  # [{insurance_type, basis, amount_fen}]

    created_at = models.DateTimeField(auto_now_add=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)  # public user id, no FK across schemas
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by_id = models.BigIntegerField(null=True, blank=True)

    objects = PolicyVersionQuerySet.as_manager()

    if TYPE_CHECKING:
        # The registry's parameters, added in the class body from the registry.
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

    class Meta:
        ordering = ["-scheme_year__year", "-version"]
        verbose_name = "互助政策版本"
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "version"], name="policy_version_unique_per_year"),
            # at most one draft per scheme year
            models.UniqueConstraint(
                fields=["scheme_year"], condition=models.Q(status="draft"), name="policy_one_draft_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year_id and self.scheme_year.year}年度 第{self.version}版（{self.get_status_display()}）"

    # --- immutability ----------------------------------------------------------------------------------------
    def save(self, *args, **kwargs):
        # Ask the database, not this instance: a stale copy of a draft must not overwrite a published row.
        if self.pk is not None:
            self._stored_status = (
                type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            )
        if getattr(self, "_stored_status", None) == PolicyStatus.PUBLISHED:
            raise immutable_error()
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args, **kwargs):
        stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored == PolicyStatus.PUBLISHED:
            raise immutable_error()
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.status if "status" in field_names else None
        return instance

    @property
    def is_published(self) -> bool:
        return getattr(self, "_stored_status", None) == PolicyStatus.PUBLISHED or (
            self.pk is None and self.status == PolicyStatus.PUBLISHED
        )

    # --- plain values ------------------------------------------------------------------------------------------
    def funding_share_values(self) -> tuple[FundingShare, ...]:
        return tuple(
            FundingShare(source=s["source"], amount_fen=int(s["amount_fen"])) for s in self.funding_shares
        )

    def special_group_values(self) -> tuple[SpecialGroupRule, ...]:
        return tuple(
            SpecialGroupRule(
                category=g["category"], treatment=g["treatment"], paid_by=g.get("paid_by") or None
            )
            for g in self.special_groups
        )

    def threshold_values(self) -> tuple[Threshold, ...]:
        return tuple(
            Threshold(insurance_type=t["insurance_type"], basis=t["basis"], amount_fen=int(t["amount_fen"]))
            for t in self.thresholds
        )

    def subsidy_rows(self) -> tuple[SubsidyRow, ...]:
        return tuple(
            SubsidyRow(drg_code=e.drg_code, amount_fen=e.amount_fen, drg_name=e.drg_name)
            for e in self.subsidy_entries.order_by("drg_code")
        )

    def to_values(self, *, with_subsidy_table: bool = True) -> PolicyValues:
        return PolicyValues(
            scheme_year=self.scheme_year.year,
            version=self.version,
            **{p.name: _plain(getattr(self, p.name)) for p in PARAMETERS},
            funding_shares=self.funding_share_values(),
            special_groups=self.special_group_values(),
            thresholds=self.threshold_values(),
            subsidy_table=self.subsidy_rows() if with_subsidy_table else (),
            effective_from=self.effective_from,
            amendment_reason=self.amendment_reason,
            defaulted_fields=tuple(self.defaulted_fields),
        )

    def to_enrolment_terms(self) -> EnrolmentTerms:
        """The contract enrolment reads; only a publishable version (every date set) has terms."""
        return enrolment_terms_of(self.to_values(with_subsidy_table=False), policy_id=self.pk)


class SubsidyEntryQuerySet(models.QuerySet):
    def _touches_published(self) -> bool:
        return self.filter(policy__status=PolicyStatus.PUBLISHED).exists()

    def update(self, **kwargs):
        if self._touches_published():
            raise immutable_error()
        return super().update(**kwargs)

    def delete(self):
        if self._touches_published():
            raise immutable_error()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        policy_ids = {obj.policy_id for obj in objs}
        if PolicyVersion.objects.filter(pk__in=policy_ids, status=PolicyStatus.PUBLISHED).exists():
            raise immutable_error()
        return super().bulk_create(objs, *args, **kwargs)


class SubsidyEntry(models.Model):
    """One row of the DRG subsidy table (病种补助定额表): a fixed amount per DRG code."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="subsidy_entries")
    drg_code = models.CharField("DRG 编码", max_length=8)
    drg_name = models.CharField("DRG 名称", max_length=128, blank=True)
    amount_fen = models.BigIntegerField("补助定额（分）")

    objects = SubsidyEntryQuerySet.as_manager()

    class Meta:
        ordering = ["drg_code"]
        verbose_name = "病种补助定额"
        constraints = [
            models.UniqueConstraint(fields=["policy", "drg_code"], name="subsidy_entry_unique_code")
        ]

    def save(self, *args, **kwargs):
        if self._policy_published():
            raise immutable_error()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._policy_published():
            raise immutable_error()
        return super().delete(*args, **kwargs)

    def _policy_published(self) -> bool:
        return PolicyVersion.objects.filter(pk=self.policy_id, status=PolicyStatus.PUBLISHED).exists()
