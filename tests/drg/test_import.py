"""Importing the real CHS-DRG 1.1 and 2.0 rule tables: tree, rule lists, MCC/CC tables, idempotency, bad input."""

import re
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualaid.drg.models import (
    Adrg,
    CatalogueVersion,
    CcExclusion,
    CityDrgWeight,
    CityWeightTable,
    Complication,
    Drg,
    InvalidCode,
    Mdc,
    RuleList,
    RuleListEntry,
    Split,
)
from tests.drg.conftest import DRG_DATA, needs_data

pytestmark = needs_data


def _counts(version_code: str) -> dict:
    version = CatalogueVersion.objects.get(code=version_code)
    return {
        "mdc": Mdc.objects.filter(version=version).count(),
        "adrg": Adrg.objects.filter(version=version).count(),
        "drg": Drg.objects.filter(version=version).count(),
        "lists": RuleList.objects.filter(version=version).count(),
        "entries": RuleListEntry.objects.filter(version=version).count(),
        "mcc": Complication.objects.filter(version=version, level="MCC").count(),
        "cc": Complication.objects.filter(version=version, level="CC").count(),
        "cce": CcExclusion.objects.filter(version=version).count(),
        "invalid": InvalidCode.objects.filter(version=version).count(),
    }


def test_both_versions_are_imported_with_the_published_tree_sizes(catalogues):
    # Given the real rule tables (README: 26 MDCs, 376 ADRGs, 628 DRGs in 1.1; 26, 409, 634 in 2.0)
    v11, v20 = _counts("chs-drg-1.1"), _counts("chs-drg-2.0")
    # Then the tree has exactly the published sizes
    assert (v11["mdc"], v11["adrg"], v11["drg"]) == (26, 376, 628)
    assert (v20["mdc"], v20["adrg"], v20["drg"]) == (26, 409, 634)
    # And the grouper's tables are kept: MDC/ADRG lists, MCC and CC with their exclusion tables
    assert v11["entries"] > 80_000 and v20["entries"] > 90_000
    assert (v11["mcc"], v11["cc"]) == (4678, 16568)  # parsed out of the PDF text of 5_MCC.txt / 6_CC.txt
    assert (v20["mcc"], v20["cc"], v20["cce"]) == (4477, 8009, 27143)
    assert v11["cce"] > 27_000
    # 2.0 also lists the codes it does not accept for grouping (ZD_INVALID.dat, SS_INVALID.dat)
    assert (v11["invalid"], v20["invalid"]) == (0, 3671)


def test_every_adrg_belongs_to_the_mdc_of_its_first_letter_and_every_drg_to_its_adrg(catalogues):
    for adrg in Adrg.objects.select_related("mdc"):
        assert adrg.mdc.code == f"MDC{adrg.code[0]}" and adrg.mdc.version_id == adrg.version_id
    for drg in Drg.objects.select_related("adrg")[:2000]:
        assert drg.code[:3] == drg.adrg.code and drg.adrg.version_id == drg.version_id


def test_the_last_digit_of_a_drg_code_is_its_split(catalogues):
    def split(version, code):
        return Drg.objects.get(version__code=version, code=code).split

    assert split("chs-drg-1.1", "AH11") == Split.MCC
    assert split("chs-drg-1.1", "BB13") == Split.CC
    assert split("chs-drg-1.1", "BB15") == Split.NONE
    assert split("chs-drg-1.1", "AA19") == Split.NOT_SPLIT
    by_split = {s: Drg.objects.filter(version__code="chs-drg-1.1", split=s).count() for s in Split.values}
    assert by_split == {"1": 123, "3": 129, "5": 184, "9": 192}


def test_a_code_in_both_versions_keeps_each_versions_meaning(catalogues):
    fm19 = dict(Drg.objects.filter(code="FM19").values_list("version__code", "name"))
    assert fm19 == {"chs-drg-1.1": "经皮冠状动脉支架植入", "chs-drg-2.0": "经皮大血管复杂手术"}


def test_rule_lists_keep_headings_connectives_and_alternative_files(catalogues):
    # 1.1 AC1: 同时包含以下手术： … 和 … — two procedure lists, the second headed by the connective
    ac1 = list(RuleList.objects.filter(version__code="chs-drg-1.1", owner_code="AC1").order_by("position"))
    assert [(r.heading, r.kind) for r in ac1] == [("同时包含以下手术：", "procedure"), ("和", "procedure")]
    assert ac1[1].entries.filter(icd_code="55.6100").exists()
    # 2.0 AH2 has a main rule file and two alternatives (AH2_1, AH2_2); the main one states the condition
    ah2 = RuleList.objects.filter(version__code="chs-drg-2.0", owner_code="AH2")
    assert set(ah2.values_list("variant", flat=True)) == {"", "1", "2"}
    assert ah2.get(variant="", position=1).note.startswith("入组条件")
    # MDCZ lists by body region, and the ``#`` marker printed before a code is kept
    mdcz = RuleList.objects.filter(version__code="chs-drg-1.1", owner_code="MDCZ").order_by("position")
    assert mdcz.first().note == "头颈部创伤" and mdcz.count() == 9
    marked = RuleListEntry.objects.filter(rule_list__in=mdcz, marker="#")
    assert list(marked.values_list("icd_code", "icd_name")) == [("S12.910", "开放性颈椎骨折")]
    # 包含全部手术 is a list of its own without codes
    assert (
        RuleList.objects.get(
            version__code="chs-drg-1.1", owner_code="SB1", heading="全部手术"
        ).entries.count()
        == 0
    )


def test_mcc_and_cc_tables_survive_the_pdf_page_breaks_of_1_1(catalogues):
    def row(level, code):
        return Complication.objects.get(version__code="chs-drg-1.1", level=level, icd_code=code)

    assert (row("MCC", "A01.100").icd_name, row("MCC", "A01.100").exclusion_table) == ("副伤寒甲", "1")
    # a record that sat on a line with a whole page run together, after a page number and header
    assert row("MCC", "A20.801").icd_name == "顿挫性鼠疫"
    # 无: no exclusion table
    assert row("MCC", "Z94.000").exclusion_table == ""
    # a name wrapped onto the next line and spaced-out characters are joined
    excl = CcExclusion.objects.get(version__code="chs-drg-1.1", table="34", icd_code="C92.000x018")
    assert excl.icd_name.startswith("急性髓系白血病")
    wrapped = CcExclusion.objects.filter(version__code="chs-drg-1.1", icd_code="A15.000x010").first()
    assert wrapped.icd_name == "继发性肺结核（初治,单耐药）涂阳培阳"


def test_reimport_changes_nothing(catalogues):
    # Given both versions imported once
    before = {v: _counts(v) for v in ("chs-drg-1.1", "chs-drg-2.0")}
    ids = dict(Drg.objects.values_list("pk", "code"))
    versions = list(CatalogueVersion.objects.values_list("code", "content_hash", "imported_at"))
    # When the same folders are imported again
    out = _call("drg", "import", "chs-drg-1.1", str(DRG_DATA / "chs-drg-1.1"))
    # Then nothing is rewritten
    assert "已是最新" in out
    assert {v: _counts(v) for v in before} == before
    assert dict(Drg.objects.values_list("pk", "code")) == ids
    assert list(CatalogueVersion.objects.values_list("code", "content_hash", "imported_at")) == versions


def test_a_forced_reimport_keeps_drg_ids_and_relinks_city_weights(catalogues):
    # Given a city table read against 2.0, and a DRG row that went missing (its weight row lost its link)
    _call("drg", "import-weights", "苏州", "2023", str(DRG_DATA / "city-payment-standards" / "苏州2023.csv"),
          "--catalogue", "chs-drg-2.0")  # fmt: skip
    before = _counts("chs-drg-2.0")
    Drg.objects.get(version__code="chs-drg-2.0", code="FM19").delete()
    weight = CityDrgWeight.objects.get(table__city="苏州", table__year=2023, drg_code="FM19")
    assert weight.drg_id is None
    ids = dict(Drg.objects.filter(version__code="chs-drg-2.0").values_list("code", "pk"))
    # When the version is imported again with --force
    _call("drg", "import", "chs-drg-2.0", str(DRG_DATA / "chs-drg-2.0"), "--force")
    # Then the rows are as before, existing DRGs keep their ids (API ids stay valid), and the weight is relinked
    assert _counts("chs-drg-2.0") == before
    after = dict(Drg.objects.filter(version__code="chs-drg-2.0").values_list("code", "pk"))
    assert {code: pk for code, pk in after.items() if code != "FM19"} == ids
    weight.refresh_from_db()
    assert weight.drg.code == "FM19" and weight.drg.version.code == "chs-drg-2.0"
    assert "FM19" not in CityWeightTable.objects.get(city="苏州", year=2023).unknown_codes


def _call(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_wrong_folder_or_version_is_a_clear_error_and_writes_nothing(catalogues, tmp_path):
    before = {v: _counts(v) for v in ("chs-drg-1.1", "chs-drg-2.0")}
    versions = list(CatalogueVersion.objects.values_list("code", "content_hash", "imported_at"))

    with pytest.raises(CommandError, match="未知的 DRG 分组方案版本"):
        call_command("drg", "import", "chs-drg-3.0", str(DRG_DATA / "chs-drg-2.0"))
    with pytest.raises(CommandError, match="不存在"):
        call_command("drg", "import", "chs-drg-1.1", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match=re.escape("不是 CHS-DRG 1.1 规则表：缺少 1_MDC.txt")):
        call_command("drg", "import", "chs-drg-1.1", str(DRG_DATA / "chs-drg-2.0"))

    # A damaged copy: the folder looks right but a DRG points at an ADRG that does not exist
    damaged = tmp_path / "chs-drg-2.0"
    shutil.copytree(DRG_DATA / "chs-drg-2.0", damaged)
    drg_file = damaged / "DRG.dat"
    drg_file.chmod(0o644)
    drg_file.write_text(drg_file.read_text(encoding="utf-8") + "\nQQ99 不存在的病组\n", encoding="utf-8")
    with pytest.raises(CommandError, match=re.escape("DRG QQ99 所属的 ADRG QQ9 不在 ADRG.dat 中")):
        call_command("drg", "import", "chs-drg-2.0", str(damaged))

    assert {v: _counts(v) for v in before} == before
    assert list(CatalogueVersion.objects.values_list("code", "content_hash", "imported_at")) == versions
