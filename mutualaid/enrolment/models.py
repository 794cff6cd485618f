"""Villages, households and members of a town, their enrolment by scheme year, the fees received, and roster
imports. ID and phone numbers are stored encrypted (``platform.crypto``) with a keyed hash for look-ups and a masked copy for
display (the mask is what every non-privileged reader sees anyway)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now

from mutualaid.platform.encrypted_storage import encrypted_storage
from mutualaid.policies.terms import HardshipCategory


class InsuranceType(models.TextChoices):
    """基本医保参保类型 (the same values as the policy thresholds use)."""

    RESIDENT = "resident", "城乡居民医保"
    EMPLOYEE = "employee", "城镇职工医保"
    NONE = "none", "未参加基本医保"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    GRANDCHILD = "grandchild", "孙子女"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    MOVED_OUT = "moved_out", "已迁出"
    DECEASED = "deceased", "已死亡"


class Village(models.Model):
    """An administrative village (行政村) and its decision to join (村民代表会议决议)."""

    code = models.CharField("村级区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    joined = models.BooleanField("决议参加", default=False)
    resolution_date = models.DateField("村民代表会议决议日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政村"

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    # Byte order ("C") and no LIKE index: 户号 are matched whole (roster imports look up thousands at a time).
    number = models.CharField("户号", max_length=32, db_collation="C")
    # Indexed with the number below (a village's households in number order: the paged lists), not alone.
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="households", db_index=False)
    # Not indexed: no query looks a household up by its head, and members are never deleted.
    head = models.ForeignKey(
        "Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="户主",
        db_index=False,
    )
    address = models.CharField("住址", max_length=200, blank=True)
    # db_default: roster imports COPY rows without them, and the database stamps them for free.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["number"]
        verbose_name = "户"
        constraints = [models.UniqueConstraint(fields=["number"], name="enrolment_household_number_unique")]
        # A village's page of households reads 100 index entries, not the town's numbers up to that village's.
        indexes = [models.Index(fields=["village", "number"], name="enrolment_household_village_no")]

    def __str__(self) -> str:
        return self.number


class Member(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名", max_length=64)
    id_number_encrypted = models.TextField("身份证号（加密）")
    # Hex HMACs in byte order ("C"), without Django's LIKE index. Only id_hash is indexed: no query looks members
    # up by phone yet, and the phone index was a sixth of what a roster import costs the database.
    id_hash = models.CharField("身份证号密钥哈希", max_length=64, db_collation="C")
    id_masked = models.CharField("身份证号（脱敏）", max_length=18)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices)
    phone_encrypted = models.TextField("手机号（加密）", blank=True)
    phone_hash = models.CharField("手机号密钥哈希", max_length=64, blank=True, db_collation="C")
    phone_masked = models.CharField("手机号（脱敏）", max_length=11, blank=True)
    insurance_type = models.CharField("基本医保", max_length=16, choices=InsuranceType.choices)
    hardship_categories = ArrayField(
        models.CharField(max_length=32, choices=HardshipCategory.choices), default=list, blank=True
    )
    registered_on = models.DateField("户籍登记日期")
    status = models.CharField(
        "状态", max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())  # as Household.created_at
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = "家庭成员"
        constraints = [models.UniqueConstraint(fields=["id_hash"], name="enrolment_member_id_hash_unique")]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.pk}"


class Enrolment(models.Model):
    """A household's enrolment in a scheme year, with the fee due by funding source (fen)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="enrolments")
    scheme_year = models.IntegerField("互助年度")
    policy_id = models.BigIntegerField("政策版本", null=True, blank=True)
    policy_version = models.IntegerField("政策版本号", default=1)
    member_count = models.IntegerField("参加人数")
    due_fen = models.BigIntegerField("应筹合计（分）")
    due_by_source = models.JSONField("应筹（按来源，分）", default=dict)
    enrolled_at = models.DateTimeField("参加时间")
    enrolled_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["scheme_year", "household_id"]
        verbose_name = "参加登记"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "scheme_year"], name="enrolment_household_once_a_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.scheme_year}"


class EnrolledMember(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="members")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="enrolments")
    scheme_year = models.IntegerField("互助年度")
    due_fen = models.BigIntegerField("应筹（分）")
    due_by_source = models.JSONField("应筹（按来源，分）", default=dict)

    class Meta:
        verbose_name = "参加人员"
        constraints = [
            models.UniqueConstraint(fields=["member", "scheme_year"], name="enrolled_member_once_a_year")
        ]


class PaymentMethod(models.TextChoices):
    CASH = "cash", "村协管员收取现金"
    BANK_TRANSFER = "bank_transfer", "银行转账"
    MOBILE_PAYMENT = "mobile_payment", "移动支付"


class Contribution(models.Model):
    """Money actually received for an enrolment (互助费), posted to the fund ledger. Never edited: a recording
    error is corrected by a ContributionReversal (and a new contribution)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="contributions")
    scheme_year = models.IntegerField("互助年度")
    method = models.CharField("收款方式", max_length=16, choices=PaymentMethod.choices)
    receipt_number = models.CharField("收据号", max_length=64, unique=True)
    reference = models.CharField("转账/支付流水号", max_length=100, blank=True)
    amount_fen = models.BigIntegerField("金额（分）")
    amounts_by_source = models.JSONField("按来源（分）", default=dict)
    received_on = models.DateField("收款日期")
    journal_entry_id = models.BigIntegerField("记账凭证", null=True, blank=True)
    recorded_by_id = models.BigIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = "互助费收入"


class ContributionReversal(models.Model):
    contribution = models.OneToOneField(Contribution, on_delete=models.PROTECT, related_name="reversal")
    reason = models.CharField("冲销原因", max_length=200)
    journal_entry_id = models.BigIntegerField("冲销凭证", null=True, blank=True)
    reversed_by_id = models.BigIntegerField(null=True, blank=True)
    reversed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "互助费冲销"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ImportJob(models.Model):
    """A roster file and the progress of its import (run by a Celery task)."""

    # Encrypted at rest, mode 0600; the upload is deleted when the job ends, the error report after
    # ROSTER_ERROR_REPORT_RETENTION_DAYS (enrolment.purge_roster_files).
    file = models.FileField(
        "花名册文件", upload_to="roster/%Y/%m/", max_length=255, storage=encrypted_storage
    )
    file_name = models.CharField("原文件名", max_length=200)
    file_format = models.CharField("格式", max_length=8)  # csv / xlsx
    village_code = models.CharField("限定村", max_length=12, blank=True)  # a coordinator's import
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.IntegerField("总行数", default=0)
    rows_done = models.IntegerField("已处理行数", default=0)
    created_count = models.IntegerField("新增", default=0)
    updated_count = models.IntegerField("更新", default=0)
    unchanged_count = models.IntegerField("未变化", default=0)
    error_count = models.IntegerField("错误行", default=0)
    households_created = models.IntegerField("新增户", default=0)
    error_report = models.FileField(
        "错误报告", upload_to="roster/errors/%Y/%m/", max_length=255, blank=True, storage=encrypted_storage
    )
    error = models.TextField("失败原因", blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "花名册导入"
