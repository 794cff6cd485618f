"""The two seed documents as policy presets (no database), and how a preset dates another scheme year.

Every value a document does not give is listed in the preset's ``defaulted_fields`` (shown as “文件未规定” in the
API and on the public rules page), with the reason in ``notes``. Sub-keys mark part of a list:
``funding_shares.town_finance`` means that the document gives only a total, and the split is ours.

- ``xinsheng-2022``: 新胜镇试点推行乡村公益医疗互助制度实施方案 (潼南区新胜镇人民政府, 2022-09-29).
- ``haian-2022``: 海农〔2022〕92号 海安市乡村公益医疗互助项目实施方案 (2022-05-12), for 大公镇 and 雅周镇.

A preset applies to any scheme year: ``Preset.for_year(year)`` moves every date to that year by the document's
rule (新胜镇: 31 Aug register, 15 Sep – 31 Oct window, 1 Nov – 31 Oct coverage, claims until 31 Dec of the next
year), keeping a date the document sets for one year only (29 Sep 2022) for that year.

Which preset a town gets (``resolve``): a key (``xinsheng-2022``, the document as of its year), a family
(``xinsheng``, ``haian``: the coming scheme year), a pilot town's code (its 2022 preset), or — for ``auto`` — the
family of the town's county, city or province (江苏 / 南通 / 海安 → haian; 重庆 / 潼南 → xinsheng).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from mutualaid.policies.choices import (
    ExclusionCause,
    InsuranceType,
    ServiceFeeKind,
    ThresholdBasis,
    UnlistedDrgRule,
)
from mutualaid.policies.terms import (
    EnrolmentTerms,
    FundingShare,
    FundingSource,
    HardshipCategory,
    SpecialGroupRule,
    SpecialGroupTreatment,
)
from mutualaid.policies.values import PolicyValues, SubsidyRow, Threshold, enrolment_terms_of

YUAN = 100


# A date of the scheme year Y: (month, day, years after Y).
DayOfYear = tuple[int, int, int]


@dataclass(frozen=True)
class Preset:
    """A document's policy: its values as written for ``values.scheme_year``, and the rule that dates another year.

    ``dates`` gives every date parameter as a day of the scheme year (the document's standing rule);
    ``only_in`` the dates a document sets for one year alone (新胜镇 2022: the window opened on 29 September).
    """

    key: str
    family: str  # the document: "xinsheng", "haian"
    title: str
    document: str
    values: PolicyValues
    dates: dict[str, DayOfYear]
    only_in: dict[int, dict[str, date]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def dates_for(self, year: int) -> dict[str, date]:
        dated = {name: date(year + later, month, day) for name, (month, day, later) in self.dates.items()}
        return dated | self.only_in.get(year, {})

    def for_year(self, year: int) -> PolicyValues:
        """The preset's values for scheme year ``year``, every date moved to it by the document's rule."""
        return replace(self.values, scheme_year=year, **self.dates_for(year))  # type: ignore[type-var]

    def enrolment_terms(self, year: int | None = None) -> EnrolmentTerms:
        """What enrolment reads of this preset for ``year`` (default the document's own), before it is published."""
        return enrolment_terms_of(self.for_year(year or self.values.scheme_year), version=0)

    def next_year_to_open(self, today: date) -> int:
        """The first scheme year whose enrolment window has not closed by ``today`` (open now or next to open)."""
        year = today.year - 1
        while self.dates_for(year)["enrolment_closes"] < today:
            year += 1
        return year


# A table for common CHS-DRG 1.1 groups, every amount within [300, 50,000] yuan. No document gives one (新胜镇:
# “每年的病种补助定额根据当年度筹资标准和实际参加人员测算确定”): it is a default to be re-set by the town.
DEFAULT_TABLE_CHS_11: tuple[SubsidyRow, ...] = tuple(
    SubsidyRow(code, yuan * YUAN, name)
    for code, name, yuan in (
        ("AB19", "肝移植", 50000),
        ("AE19", "肾移植", 50000),
        ("BB11", "脑创伤开颅术，伴严重并发症或合并症", 20000),
        ("BE29", "脑血管介入治疗", 10000),
        ("BR21", "脑缺血性疾患，伴严重并发症或合并症", 6000),
        ("BR23", "脑缺血性疾患，伴并发症或合并症", 3000),
        ("BR25", "脑缺血性疾患，不伴并发症或合并症", 1500),
        ("EB19", "肺大手术", 15000),
        ("ES31", "呼吸系统感染/炎症，伴严重并发症或合并症", 2500),
        ("ES33", "呼吸系统感染/炎症，伴并发症或合并症", 1200),
        ("ES35", "呼吸系统感染/炎症，不伴并发症或合并症", 600),
        ("ET21", "慢性气道阻塞病，伴严重并发症或合并症", 2500),
        ("ET23", "慢性气道阻塞病，伴并发症或合并症", 1200),
        ("ET25", "慢性气道阻塞病，不伴并发症或合并症", 600),
        ("FM19", "经皮冠状动脉支架植入", 8000),
        ("FR21", "心力衰竭、休克，伴严重并发症或合并症", 3000),
        ("FR25", "心力衰竭、休克，不伴并发症或合并症", 1000),
        ("GB11", "食管、胃、十二指肠大手术，伴严重并发症或合并症", 20000),
        ("GB15", "食管、胃、十二指肠大手术，不伴并发症或合并症", 12000),
        ("GS11", "胃肠出血，伴严重并发症或合并症", 2000),
        ("HS21", "肝硬化，伴严重并发症或合并症", 3000),
        ("IB19", "复杂脊柱疾患或3节段及以上脊柱融合手术或翻修手术", 15000),
        ("IC29", "髋、肩、膝、肘和踝关节置换术", 10000),
        ("JA19", "乳房恶性肿瘤根治性切除伴乳房重建术", 12000),
        ("KS11", "糖尿病，伴严重并发症或合并症", 2000),
        ("LA19", "肾脏肿瘤手术", 12000),
        ("LR11", "肾功能不全，伴严重并发症或合并症", 4000),
        ("OB19", "剖宫产术", 500),
        ("OR19", "阴道分娩", 300),
        ("RE11", "恶性增生性疾患的化学治疗和/或其他治疗，伴严重并发症或合并症", 4000),
        ("RE13", "恶性增生性疾患的化学治疗和/或其他治疗，伴并发症或合并症", 2500),
        ("RE15", "恶性增生性疾患的化学治疗和/或其他治疗，不伴并发症或合并症", 1500),
    )
)

ALL_EXCLUSIONS = tuple(ExclusionCause.values)

XINSHENG_2022 = Preset(
    key="xinsheng-2022",
    family="xinsheng",
    title="新胜镇 2022 互助年度",
    document="新胜镇试点推行乡村公益医疗互助制度实施方案（重庆市潼南区新胜镇人民政府，2022年9月29日）",
    values=PolicyValues(
        scheme_year=2022,
        fee_per_person_fen=45 * YUAN,  # 三：2022年度互助费标准为45元/人·年
        funding_shares=(
            FundingShare(FundingSource.PERSON, 25 * YUAN),  # 三（一）：群众个人出资25元
            # 剩余20元由社会慈善组织、爱心企业、镇财政给予补助 — the split is ours (文件未规定).
            FundingShare(FundingSource.TOWN_FINANCE, 10 * YUAN),
            FundingShare(FundingSource.CHARITY, 5 * YUAN),
            FundingShare(FundingSource.ENTERPRISE, 5 * YUAN),
        ),
        special_groups=(
            # 三（一）：低保对象等特殊困难群体的个人出资部分，由镇政府全额补助
            SpecialGroupRule(
                HardshipCategory.DIBAO, SpecialGroupTreatment.EXEMPT_PERSON_SHARE, FundingSource.TOWN_FINANCE
            ),
            SpecialGroupRule(
                HardshipCategory.TEKUN, SpecialGroupTreatment.EXEMPT_PERSON_SHARE, FundingSource.TOWN_FINANCE
            ),
        ),
        register_snapshot_date=date(2022, 8, 31),  # 四：每年8月31日全体户籍在册人员
        enrolment_opens=date(2022, 9, 29),  # 五（二）2：2022互助年度的交费期限为2022年9月29日-10月31日24时
        enrolment_closes=date(2022, 10, 31),  # 交费截止后不再接受交费参加（standing rule: 9月15日到10月31日）
        coverage_start=date(2022, 11, 1),  # 四：互助保障期限为每年11月1日-次年10月31日
        coverage_end=date(2023, 10, 31),
        claim_deadline=date(2023, 12, 31),  # 四：补助申请受理的截止日期为次年12月31日
        enrol_by_household=True,  # 二（二）：以家庭为单位自愿参与
        fees_refundable=False,  # 四（五）1：其所交纳的互助费不退回
        thresholds=(
            Threshold(InsuranceType.RESIDENT, ThresholdBasis.OUT_OF_POCKET, 3500 * YUAN),  # 四（一）2（1）
            Threshold(InsuranceType.EMPLOYEE, ThresholdBasis.OUT_OF_POCKET, 3500 * YUAN),  # 四（一）2（2）
            Threshold(InsuranceType.NONE, ThresholdBasis.TOTAL_COST, 7000 * YUAN),  # 四（一）2（3）
        ),
        per_stay_min_fen=300 * YUAN,  # 四（三）：单次住院最低补助300元
        per_stay_max_fen=50000 * YUAN,  # 最高补助5万元
        yearly_cap_fen=100000 * YUAN,  # 个人年度累计最高补助10万元
        excluded_causes=ALL_EXCLUSIONS,  # 四（四）1、2（1）（2）
        designated_hospitals_only=True,  # 四（四）2（3）
        mainland_only=True,  # 四（四）3
        drg_catalogue_version="chs-drg-1.1",
        unlisted_drg_rule=UnlistedDrgRule.MINIMUM,
        subsidy_table=DEFAULT_TABLE_CHS_11,
        service_fee_kind=ServiceFeeKind.PERCENT,  # 三（三）：向第三方专业服务公司支付服务费 (amount not given)
        service_fee_bp=1000,
        review_working_days=5,  # 四（二）2：5个工作日内……并向申请对象发送短信告知
        target_person_share_bp=5000,  # 六（三）：确保群众参与率不低于50%
        surplus_carry_over=True,  # 三（二）：当年度结余资金结转下年度滚动使用
        defaulted_fields=(
            "funding_shares.town_finance",
            "funding_shares.charity",
            "funding_shares.enterprise",
            "special_groups.tekun",
            "drg_catalogue_version",
            "unlisted_drg_rule",
            "subsidy_table",
            "service_fee_kind",
            "service_fee_bp",
        ),
    ),
    # 四：每年8月31日在册；每年9月15日到10月31日为交费期；保障期每年11月1日-次年10月31日；申请截止次年12月31日
    dates={
        "register_snapshot_date": (8, 31, 0),
        "enrolment_opens": (9, 15, 0),
        "enrolment_closes": (10, 31, 0),
        "coverage_start": (11, 1, 0),
        "coverage_end": (10, 31, 1),
        "claim_deadline": (12, 31, 1),
    },
    # 五（二）2：2022互助年度的交费期限为2022年9月29日-10月31日24时 (that year only)
    only_in={2022: {"enrolment_opens": date(2022, 9, 29)}},
    notes={
        "funding_shares": "文件只规定“剩余20元由社会慈善组织、爱心企业、镇财政给予补助”，未规定各方金额；"
        "预设按镇财政10元、社会慈善组织5元、爱心企业5元拆分。",
        "special_groups": "文件写“低保对象等特殊困难群体”，预设包含低保对象与特困供养人员，其他类别由镇确定。",
        "enrolment_opens": "常规交费期为每年9月15日至10月31日；2022年度为9月29日至10月31日24时。",
        "drg_catalogue_version": "文件写“国家CN-DRGs应用版”；平台使用国家医保局 CHS-DRG 1.1 分组。",
        "unlisted_drg_rule": "文件未规定补助表外病组的处理；预设按单次最低补助300元补助。",
        "subsidy_table": "文件规定“每年的病种补助定额根据当年度筹资标准和实际参加人员测算确定”，未给出定额表；预设为常见病组参考表。",
        "service_fee_bp": "文件规定向第三方专业服务公司支付服务费，未规定金额；预设为互助资金的10%。",
    },
)

HAIAN_2022 = Preset(
    key="haian-2022",
    family="haian",
    title="海安市试点镇（大公镇、雅周镇）2022 互助年度",
    document="海农〔2022〕92号 海安市乡村公益医疗互助项目实施方案（2022年5月12日）",
    values=PolicyValues(
        scheme_year=2022,
        fee_per_person_fen=100 * YUAN,  # 三（一）3：试点镇筹资标准每人100元
        funding_shares=(
            FundingShare(FundingSource.PERSON, 50 * YUAN),  # 个人缴费50元
            # 不足部分由镇村托底 — the town/village split is ours (文件未规定).
            FundingShare(FundingSource.TOWN_FINANCE, 25 * YUAN),
            FundingShare(FundingSource.VILLAGE_COLLECTIVE, 25 * YUAN),
        ),
        # 二：拟享受海安市补充医疗保险救助项目的农村低收入人口等六类困难对象原则上不参与该医疗互助
        special_groups=tuple(
            SpecialGroupRule(category, SpecialGroupTreatment.EXCLUDED) for category in HardshipCategory.values
        ),
        register_snapshot_date=date(2022, 5, 31),
        enrolment_opens=date(2022, 6, 1),
        enrolment_closes=date(2022, 6, 30),  # 三（二）4：按时完成资金筹集……录入管理平台系统（6月底前完成）
        coverage_start=date(2022, 7, 1),
        coverage_end=date(2023, 6, 30),
        claim_deadline=date(2023, 12, 31),
        enrol_by_household=True,  # 一：形成以家庭为单位全体成员自愿参与的医疗互助新格局
        fees_refundable=False,
        thresholds=(
            Threshold(InsuranceType.RESIDENT, ThresholdBasis.OUT_OF_POCKET, 3500 * YUAN),
            Threshold(InsuranceType.EMPLOYEE, ThresholdBasis.OUT_OF_POCKET, 3500 * YUAN),
            Threshold(InsuranceType.NONE, ThresholdBasis.TOTAL_COST, 7000 * YUAN),
        ),
        per_stay_min_fen=300 * YUAN,
        per_stay_max_fen=50000 * YUAN,
        yearly_cap_fen=100000 * YUAN,
        excluded_causes=ALL_EXCLUSIONS,
        designated_hospitals_only=True,
        mainland_only=True,
        drg_catalogue_version="chs-drg-1.1",  # 二：按病种进行公平补助，重点补助大病医疗费用
        unlisted_drg_rule=UnlistedDrgRule.MINIMUM,
        subsidy_table=DEFAULT_TABLE_CHS_11,
        service_fee_kind=ServiceFeeKind.PERCENT,  # 二：依托第三方平台提供病种认定、费用核报等专业化服务
        service_fee_bp=1000,
        service_fee_from_fund=False,  # 三（一）3：资金池……单列科目、专款专用 — no fee from the pool named
        review_working_days=5,
        target_village_share_bp=5000,  # 二：所辖行政村参与试点占比原则上要达到50%以上
        target_household_share_bp=3000,  # 试点村农户参与率不低于30%
        surplus_carry_over=True,
        defaulted_fields=(
            "funding_shares.town_finance",
            "funding_shares.village_collective",
            "register_snapshot_date",
            "enrolment_opens",
            "coverage_start",
            "coverage_end",
            "claim_deadline",
            "fees_refundable",
            "thresholds",
            "per_stay_min_fen",
            "per_stay_max_fen",
            "yearly_cap_fen",
            "excluded_causes",
            "designated_hospitals_only",
            "mainland_only",
            "drg_catalogue_version",
            "unlisted_drg_rule",
            "subsidy_table",
            "service_fee_kind",
            "service_fee_bp",
            "service_fee_from_fund",
            "review_working_days",
            "surplus_carry_over",
        ),
    ),
    # The document gives no standing dates (2022: funds raised by the end of June); the preset's dates recur yearly.
    dates={
        "register_snapshot_date": (5, 31, 0),
        "enrolment_opens": (6, 1, 0),
        "enrolment_closes": (6, 30, 0),
        "coverage_start": (7, 1, 0),
        "coverage_end": (6, 30, 1),
        "claim_deadline": (12, 31, 1),
    },
    notes={
        "funding_shares": "文件规定“个人缴费50元，不足部分由镇村托底”，未规定镇、村各自金额；预设按镇、村各25元拆分。",
        "special_groups": "文件：农村低收入人口等六类困难对象原则上不参与（由海安市补充医疗保险救助项目保障）。",
        "enrolment_closes": "文件要求资金筹集与参保名单录入于6月底前完成；其余日期为预设。",
        "thresholds": "文件只规定“按病种补助，重点补助大病医疗费用”，起付条件、补助上下限为参照新胜镇方案的预设。",
        "subsidy_table": "文件未给出病种补助定额；预设为常见病组参考表。",
        "service_fee_from_fund": "文件规定资金池“单列科目、专款专用”，未规定从互助资金支付第三方服务费；"
        "预设服务费由镇财政预算支付，不记入互助资金。",
        "grants": "市老促会补助每镇4万元（2022年）、市农业农村局补助每镇25万元（2023年上半年拨付，2022年由镇村预垫）"
        "记入资金台账，不属于每人筹资结构。",
    },
)

PRESETS: dict[str, Preset] = {preset.key: preset for preset in (XINSHENG_2022, HAIAN_2022)}
# A document family → its preset (applied to the coming scheme year unless a year is asked for).
FAMILIES: dict[str, Preset] = {preset.family: preset for preset in PRESETS.values()}
# Demo and pilot towns → their document's preset (the 2022 scheme they ran).
TOWN_PRESETS: dict[str, str] = {
    "320685107": HAIAN_2022.key,  # 大公镇
    "320685109": HAIAN_2022.key,  # 雅周镇
    "500152116": XINSHENG_2022.key,  # 新胜镇
}
# A region (county, city or province division code) → the family of the document its towns follow.
REGION_FAMILIES: dict[str, str] = {
    "320685": "haian",  # 江苏省南通市海安市
    "3206": "haian",  # 江苏省南通市
    "32": "haian",  # 江苏省
    "500152": "xinsheng",  # 重庆市潼南区
    "50": "xinsheng",  # 重庆市
}
AUTO = "auto"


@dataclass(frozen=True)
class Resolved:
    preset: Preset
    default_year: int | None  # None: the coming scheme year (next to open)


def family_of_town(town_code: str) -> str | None:
    """The document family of a town by its county, then city, then province (None when there is none)."""
    for prefix in (town_code[:6], town_code[:4], town_code[:2]):
        if prefix in REGION_FAMILIES:
            return REGION_FAMILIES[prefix]
    return None


def resolve(key: str, town_code: str | None = None) -> Resolved | None:
    """The preset a key names (``auto`` with the town's code: the town's own), and its default scheme year."""
    if key == AUTO:
        if not town_code:
            return None
        key = town_code
    if key in TOWN_PRESETS:
        preset = PRESETS[TOWN_PRESETS[key]]
        return Resolved(preset, preset.values.scheme_year)
    if key in PRESETS:
        return Resolved(PRESETS[key], PRESETS[key].values.scheme_year)
    if key in FAMILIES:
        return Resolved(FAMILIES[key], None)
    family = family_of_town(key) if key.isdigit() and len(key) == 9 else None
    return Resolved(FAMILIES[family], None) if family else None


def resolve_preset(town_code_or_key: str) -> Preset | None:
    """The preset of a key, family or town code (kept for callers that want only the preset)."""
    found = resolve(town_code_or_key)
    return found.preset if found else None


def choices_text() -> str:
    """The presets one may ask for, for an error message."""
    return "；".join(f"{family}（{preset.title}）" for family, preset in FAMILIES.items())
