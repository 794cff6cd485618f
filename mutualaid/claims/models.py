"""Claims (补助申请) of a town: one hospital stay of one enrolled member, its documents, every transition as an
event, the decisions with the policy version and the inputs they used, the member's approved total per scheme
year (the row approvals lock) and the SMS notices sent on decisions (town schema).

Money is integer fen; the bank card is stored encrypted (``platform.crypto``) with a masked copy, which is all
any view shows.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mutualaid.platform.encrypted_storage import encrypted_storage
from mutualaid.policies.values import InsuranceType


class ClaimState(models.TextChoices):
    """draft → submitted → in_review → approved / rejected / more_info (→ resubmitted → in_review); approved →
    in_batch → paid (→ recovered), back to approved when taken out of a batch or returned by the bank; approved →
    in_review when reopened (``reopening.reopen_claim``: a disclosure objection the firm upholds, before any payout;
    the payable is reversed and the review decides again)."""

    DRAFT = "draft", "草稿（材料未齐或未提交）"
    SUBMITTED = "submitted", "已提交"
    IN_REVIEW = "in_review", "审核中"
    MORE_INFO = "more_info", "需补充材料"
    RESUBMITTED = "resubmitted", "已补充材料重新提交"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "不予补助"
    IN_BATCH = "in_batch", "已列入发放批次"
    PAID = "paid", "已发放"
    RECOVERED = "recovered", "已追回"


# States a reviewer still has to act on (the queue shows them; the due date applies to them).
OPEN_STATES = (ClaimState.SUBMITTED, ClaimState.RESUBMITTED, ClaimState.IN_REVIEW)
# States whose stay counts as claimed (a later claim for overlapping dates is a duplicate).
CLAIMED_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.IN_REVIEW,
    ClaimState.MORE_INFO,
    ClaimState.RESUBMITTED,
    ClaimState.APPROVED,
    ClaimState.IN_BATCH,
    ClaimState.PAID,
)
EDITABLE_STATES = (ClaimState.DRAFT, ClaimState.MORE_INFO)
DECIDED_STATES = (ClaimState.APPROVED, ClaimState.IN_BATCH, ClaimState.PAID, ClaimState.RECOVERED)


class Channel(models.TextChoices):
    SELF = "self", "本人申请"
    VILLAGE = "village", "到村办理（协管员代办）"
    TOWN = "town", "镇农业服务中心代办"


class HospitalLevel(models.TextChoices):
    TERTIARY = "tertiary", "三级"
    SECONDARY = "secondary", "二级"
    PRIMARY = "primary", "一级"
    UNGRADED = "ungraded", "未定级"


class Cause(models.TextChoices):
    """Why the member was in hospital; the excluded ones match ``policies.values.ExclusionCause``."""

    ILLNESS = "illness", "疾病"
    ACCIDENT = "accident", "意外伤害（非第三方全责）"
    CHILDBIRTH = "childbirth", "分娩"
    CHECK_UP = "check_up", "健康体检"
    COSMETIC = "cosmetic", "美容"
    PLASTIC = "plastic", "整形等非疾病原因"
    WORK_INJURY = "work_injury", "工伤"
    CRIME = "crime", "违法犯罪"
    THIRD_PARTY_LIABLE = "third_party_liable", "第三方全责的意外伤害"


class DocumentKind(models.TextChoices):
    DISCHARGE_RECORD = "discharge_record", "出院记录"
    COST_LIST = "cost_list", "住院费用清单"
    INSURANCE_STATEMENT = "insurance_statement", "医保报销单"


class Claim(models.Model):
    member = models.ForeignKey(
        "enrolment.Member", on_delete=models.PROTECT, related_name="claims", verbose_name="申请人"
    )
    # Denormalised from the member at filing: list filters and permission checks by village need no join.
    village_code = models.CharField("村", max_length=12, db_index=True)
    household_id = models.BigIntegerField("户", db_index=True)
    scheme_year = models.IntegerField("互助年度")
    state = models.CharField("状态", max_length=16, choices=ClaimState.choices, default=ClaimState.DRAFT)
    channel = models.CharField("申请渠道", max_length=16, choices=Channel.choices, default=Channel.SELF)
    # --- the stay ---
    hospital_name = models.CharField("医院名称", max_length=128)
    hospital_level = models.CharField("医院等级", max_length=16, choices=HospitalLevel.choices)
    hospital_designated = models.BooleanField("医保定点医院")
    hospital_mainland = models.BooleanField("境内（不含港澳台）医院", default=True)
    admission_date = models.DateField("入院日期")
    discharge_date = models.DateField("出院日期")
    inpatient = models.BooleanField("住院治疗", default=True)
    cause = models.CharField("住院原因", max_length=24, choices=Cause.choices)
    insurance_type = models.CharField("入院时基本医保", max_length=16, choices=InsuranceType.choices)
    total_cost_fen = models.BigIntegerField("住院总费用（分）")
    insurance_paid_fen = models.BigIntegerField("基本医保等报销（分）")
    out_of_pocket_fen = models.BigIntegerField("个人支付（分）")
    diagnosis_codes = ArrayField(models.CharField(max_length=32), verbose_name="诊断（ICD-10）", default=list)
    procedure_codes = ArrayField(
        models.CharField(max_length=32), verbose_name="手术操作（ICD-9-CM-3）", default=list, blank=True
    )
    suggested_drg_code = models.CharField("分组器建议 DRG", max_length=8, blank=True)
    drg_code = models.CharField("DRG 病组", max_length=8, blank=True)
    # --- payment ---
    bank_name = models.CharField("开户行", max_length=64, blank=True)
    bank_card_encrypted = models.TextField("银行卡号（加密）")
    bank_card_masked = models.CharField("银行卡号（脱敏）", max_length=24)
    # --- workflow ---
    filed_on = models.DateField("首次提交日期", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    due_date = models.DateField("审核截止日", null=True, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    amount_fen = models.BigIntegerField("核定补助（分）", null=True, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "补助申请"
        indexes = [
            models.Index(fields=["member", "scheme_year"], name="claims_member_year"),
            models.Index(fields=["state", "due_date"], name="claims_state_due"),
        ]
        constraints = [
            models.CheckConstraint(
                name="claims_amounts_add_up",
                condition=Q(total_cost_fen=models.F("insurance_paid_fen") + models.F("out_of_pocket_fen"))
                & Q(insurance_paid_fen__gte=0)
                & Q(out_of_pocket_fen__gte=0),
            ),
            models.CheckConstraint(
                name="claims_dates_in_order", condition=Q(discharge_date__gte=models.F("admission_date"))
            ),
        ]

    def __str__(self) -> str:
        return f"补助申请 {self.pk}"


class ClaimDocument(models.Model):
    """A photo (EXIF stripped) or PDF of one of the three documents; served only after a permission check."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("材料", max_length=24, choices=DocumentKind.choices)
    file = models.FileField(  # encrypted at rest, 0600 on disk (personal and medical data)
        "文件", upload_to="claims/%Y/%m/", max_length=255, storage=encrypted_storage
    )
    content_type = models.CharField("类型", max_length=64)
    size = models.IntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    uploaded_by_id = models.BigIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = "申请材料"


class ClaimEvent(models.Model):
    """One transition (or a document upload / an edit): who, when, why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    reason = models.TextField("原因/说明", blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "申请记录"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", "予以补助"
    REJECTED = "rejected", "不予补助"


class Decision(models.Model):
    """A decision and what it was computed from: the policy version and the adjudication inputs, so it can be
    shown and re-run. A reviewer's override of the amount or the DRG is kept next to the computed values."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField("结论", max_length=16, choices=DecisionOutcome.choices)
    policy_id = models.BigIntegerField("政策版本", null=True, blank=True)
    policy_version = models.IntegerField("政策版本号", null=True, blank=True)
    scheme_year = models.IntegerField("互助年度")
    inputs = models.JSONField("审核依据（输入）")
    reasons = models.JSONField("逐项理由")  # [{code, passed, message}]
    computed_eligible = models.BooleanField("规则判定符合条件")
    computed_amount_fen = models.BigIntegerField("规则计算补助（分）")
    computed_drg_code = models.CharField("计算所用 DRG", max_length=8, blank=True)
    amount_fen = models.BigIntegerField("核定补助（分）")
    drg_code = models.CharField("核定 DRG", max_length=8, blank=True)
    amount_overridden = models.BooleanField(default=False)
    drg_overridden = models.BooleanField(default=False)
    override_reason = models.TextField("调整理由", blank=True)
    note = models.TextField("审核意见", blank=True)
    journal_entry_id = models.BigIntegerField("记账凭证", null=True, blank=True)
    decided_by_id = models.BigIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = "审核决定"


class MemberYearTotal(models.Model):
    """A member's approved subsidies in one scheme year. Every approval locks this row first (SELECT … FOR
    UPDATE), so concurrent approvals for one member are judged one after another against the yearly cap."""

    member_id = models.BigIntegerField()
    scheme_year = models.IntegerField()
    approved_fen = models.BigIntegerField(default=0)
    approved_count = models.IntegerField(default=0)

    class Meta:
        verbose_name = "年度累计补助"
        constraints = [
            models.UniqueConstraint(fields=["member_id", "scheme_year"], name="claims_member_year_total"),
            models.CheckConstraint(name="claims_year_total_not_negative", condition=Q(approved_fen__gte=0)),
        ]


class SmsNotice(models.Model):
    """The SMS owed to the applicant for one decision event; the task sends it once and records it here."""

    event = models.OneToOneField(ClaimEvent, on_delete=models.CASCADE, related_name="sms")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="sms_notices")
    phone_masked = models.CharField(max_length=11, blank=True)
    text = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.CharField("未发送原因", max_length=64, blank=True)
    attempts = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "短信通知"
