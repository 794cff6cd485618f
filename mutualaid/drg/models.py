"""The shared DRG and ICD catalogues (public schema, one copy for every town).

A catalogue version (CHS-DRG 1.1, CHS-DRG 2.0) holds its MDC → ADRG → DRG tree and the rule tables a grouper
needs: the MDC principal-diagnosis lists, the ADRG diagnosis / procedure lists, the MCC and CC lists with their
CC-exclusion tables, and (2.0) the codes that are invalid as principal diagnosis or procedure. Everything is keyed
by version: the same DRG code can name different groups in different versions (FM19 in 1.1 and 2.0).

Search indexes (migration 0002, raw SQL): code prefixes use btree ``text_pattern_ops`` on ``UPPER(code::text)``
(what ``code__istartswith`` compiles to); name substrings use pg_trgm GIN indexes, created only where the server
ships pg_trgm (the embedded pgserver build does not).

City weight tables (relative weight and payment standards per DRG, one per city and year) are a reference for
designing a town's subsidy table. The ICD-10 / ICD-9-CM-3 医保版 lists are not versioned with the DRG catalogue.
"""

from __future__ import annotations

from django.db import models


class CatalogueVersion(models.Model):
    code = models.CharField("版本代码", max_length=32, unique=True)  # chs-drg-1.1
    name = models.CharField("名称", max_length=64)  # CHS-DRG 1.1
    content_hash = models.CharField("导入内容摘要", max_length=64, blank=True)
    imported_at = models.DateTimeField("导入时间", null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "DRG 分组方案版本"

    def __str__(self) -> str:
        return self.name


class Mdc(models.Model):
    """主要诊断大类 (Major Diagnostic Category), e.g. MDCA 先期分组疾病及相关操作."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="mdcs")
    code = models.CharField("MDC 编码", max_length=8)
    name = models.CharField("名称", max_length=128)

    class Meta:
        ordering = ["version_id", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="drg_mdc_version_code")]
        verbose_name = "MDC"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Adrg(models.Model):
    """核心疾病诊断相关分组 (Adjacent DRG), e.g. FM1 经皮心脏及血管介入治疗."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="adrgs")
    mdc = models.ForeignKey(Mdc, on_delete=models.CASCADE, related_name="adrgs")
    code = models.CharField("ADRG 编码", max_length=8)
    name = models.CharField("名称", max_length=128)

    class Meta:
        ordering = ["version_id", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="drg_adrg_version_code")]
        indexes = [models.Index(fields=["mdc", "code"], name="drg_adrg_mdc_code")]
        verbose_name = "ADRG"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Split(models.TextChoices):
    """The last digit of a DRG code."""

    MCC = "1", "伴严重并发症或合并症（MCC）"
    CC = "3", "伴一般并发症或合并症（CC）"
    NONE = "5", "不伴并发症或合并症"
    NOT_SPLIT = "9", "未细分"


class Drg(models.Model):
    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="drgs")
    adrg = models.ForeignKey(Adrg, on_delete=models.CASCADE, related_name="drgs")
    code = models.CharField("DRG 编码", max_length=8)
    name = models.CharField("名称", max_length=128)
    split = models.CharField("细分", max_length=1, choices=Split.choices)

    class Meta:
        ordering = ["version_id", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="drg_drg_version_code")]
        indexes = [
            models.Index(fields=["adrg", "code"], name="drg_drg_adrg_code"),
        ]
        verbose_name = "DRG"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ListKind(models.TextChoices):
    DIAGNOSIS = "diagnosis", "诊断"
    PROCEDURE = "procedure", "手术或操作"


class RuleList(models.Model):
    """A code list of the grouping rules: an MDC's principal-diagnosis list (MDC/*.dat) or one list of an ADRG
    (ADRG/*.dat). ``heading`` is the list's title as printed (包含以下主要诊断： / 同时包含以下手术或操作：);
    ``note`` keeps the free text before it (入组条件 1：主要诊断+手术表 1, 和, 头颈部创伤) for the grouper.
    ``variant`` is the number of an alternative rule file of the same ADRG (2.0: AH2_1, AH2_2), blank for the
    main file. A list may be empty when its heading says it all (包含全部手术)."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="rule_lists")
    mdc = models.ForeignKey(Mdc, on_delete=models.CASCADE, null=True, blank=True, related_name="rule_lists")
    adrg = models.ForeignKey(Adrg, on_delete=models.CASCADE, null=True, blank=True, related_name="rule_lists")
    owner_code = models.CharField("所属 MDC/ADRG", max_length=8)
    variant = models.CharField("规则文件序号", max_length=4, blank=True)
    position = models.PositiveSmallIntegerField("列表序号")
    heading = models.CharField("列表标题", max_length=255)
    kind = models.CharField("类别", max_length=16, choices=ListKind.choices)
    note = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["version_id", "owner_code", "variant", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "owner_code", "variant", "position"], name="drg_rulelist_position"
            ),
            models.CheckConstraint(
                condition=(models.Q(mdc__isnull=False) & models.Q(adrg__isnull=True))
                | (models.Q(mdc__isnull=True) & models.Q(adrg__isnull=False)),
                name="drg_rulelist_one_owner",
            ),
        ]
        verbose_name = "分组规则列表"


class RuleListEntry(models.Model):
    """One ICD code of a rule list. ``marker`` keeps a sign printed before the code (``#``)."""

    rule_list = models.ForeignKey(RuleList, on_delete=models.CASCADE, related_name="entries")
    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="+")
    icd_code = models.CharField("编码", max_length=32)
    icd_name = models.CharField("名称", max_length=255, blank=True)
    marker = models.CharField("标记", max_length=4, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule_list", "icd_code"], name="drg_rulelistentry_code")
        ]
        indexes = [models.Index(fields=["version", "icd_code"], name="drg_rulelistentry_version_code")]
        verbose_name = "分组规则列表项"


class ComplicationLevel(models.TextChoices):
    MCC = "MCC", "严重并发症或合并症"
    CC = "CC", "一般并发症或合并症"


class Complication(models.Model):
    """An MCC or CC diagnosis and the CC-exclusion table that cancels it (5_MCC / 6_CC, MCC.dat / CC.dat)."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="+")
    level = models.CharField("级别", max_length=3, choices=ComplicationLevel.choices)
    icd_code = models.CharField("诊断编码", max_length=32)
    icd_name = models.CharField("诊断名称", max_length=255, blank=True)
    exclusion_table = models.CharField("排除表", max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "level", "icd_code"], name="drg_complication_unique"),
        ]
        verbose_name = "MCC/CC"


class CcExclusion(models.Model):
    """A principal diagnosis in a CC-exclusion table: with it, the table's MCC/CC codes do not count."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="+")
    table = models.CharField("排除表", max_length=16)
    icd_code = models.CharField("诊断编码", max_length=32)
    icd_name = models.CharField("诊断名称", max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "table", "icd_code"], name="drg_ccexclusion_unique"),
        ]
        verbose_name = "CC 排除表项"


class InvalidCode(models.Model):
    """A diagnosis or procedure a version does not accept for grouping (2.0: ZD_INVALID / SS_INVALID)."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类别", max_length=16, choices=ListKind.choices)
    icd_code = models.CharField("编码", max_length=32)
    icd_name = models.CharField("名称", max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "icd_code"], name="drg_invalidcode_unique"),
        ]
        verbose_name = "不可入组编码"


class IcdCode(models.Model):
    """ICD-10 医保版 diagnosis or ICD-9-CM-3 医保版 procedure. ``grey`` marks 灰码: valid codes that cannot be
    used for grouping."""

    edition = models.CharField("版本", max_length=16, default="医保版2.0")
    kind = models.CharField("类别", max_length=16, choices=ListKind.choices)
    code = models.CharField("编码", max_length=32)
    name = models.CharField("名称", max_length=255)
    grey = models.BooleanField("灰码", default=False)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "kind", "code"], name="drg_icdcode_unique")]
        verbose_name = "ICD 编码"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IcdImport(models.Model):
    """When an ICD edition was last imported, and from which files (content hash), for idempotent re-imports."""

    edition = models.CharField("版本", max_length=16, unique=True)
    content_hash = models.CharField("导入内容摘要", max_length=64)
    imported_at = models.DateTimeField("导入时间")

    class Meta:
        verbose_name = "ICD 导入记录"


class CityWeightTable(models.Model):
    """A city's DRG weight and payment table for a year, read against one catalogue version."""

    city = models.CharField("城市", max_length=32)
    year = models.PositiveSmallIntegerField("年度")
    version = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="city_tables")
    source_name = models.CharField("来源文件", max_length=255)
    encoding = models.CharField("文件编码", max_length=16)
    columns = models.JSONField("原表列名", default=list)
    content_hash = models.CharField("内容摘要", max_length=64)
    unknown_codes = models.JSONField("未知 DRG 编码", default=list)
    imported_at = models.DateTimeField("导入时间")

    class Meta:
        ordering = ["city", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["city", "year", "version"], name="drg_cityweighttable_unique"),
        ]
        verbose_name = "城市 DRG 权重与支付标准表"

    def __str__(self) -> str:
        return f"{self.city}{self.year}（{self.version.name}）"


class CityDrgWeight(models.Model):
    """One row of a city table. ``drg`` is empty when the code is not in the table's catalogue version."""

    table = models.ForeignKey(CityWeightTable, on_delete=models.CASCADE, related_name="weights")
    drg_code = models.CharField("DRG 编码", max_length=16)
    drg = models.ForeignKey(
        Drg, on_delete=models.SET_NULL, null=True, blank=True, related_name="city_weights"
    )
    name = models.CharField("原表名称", max_length=255)
    relative_weight = models.DecimalField(
        "相对权重 RW", max_digits=14, decimal_places=6, null=True, blank=True
    )
    group_type = models.CharField("病组类型/标识", max_length=64, blank=True)
    extra = models.JSONField("其他列", default=dict)

    class Meta:
        ordering = ["table_id", "drg_code"]
        constraints = [models.UniqueConstraint(fields=["table", "drg_code"], name="drg_citydrgweight_unique")]
        indexes = [models.Index(fields=["drg", "table"], name="drg_cityweight_drg")]
        verbose_name = "城市 DRG 权重"


class PaymentStandard(models.Model):
    """A payment standard (or base rate) of a city row, by hospital level and insurance type where given."""

    weight = models.ForeignKey(CityDrgWeight, on_delete=models.CASCADE, related_name="payment_standards")
    column = models.CharField("原表列名", max_length=64)
    hospital_level = models.CharField("医院等级", max_length=32, blank=True)
    insurance_type = models.CharField("参保类型", max_length=16, blank=True)
    amount_fen = models.BigIntegerField("支付标准（分）")

    class Meta:
        ordering = ["weight_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["weight", "column"], name="drg_paymentstandard_unique")
        ]
        verbose_name = "支付标准"
