"""The rule-table parsers on small synthetic folders (no database, no reference data needed)."""

import pytest

from mutualaid.drg.rule_files import RuleFileError, parse_catalogue, parse_rule_list_file


def _folder(tmp_path, drg_lines: str):
    root = tmp_path / "chs-drg-2.0"
    (root / "MDC").mkdir(parents=True)
    (root / "ADRG").mkdir()
    (root / "MDC.dat").write_text("MDCF 循环系统疾病及功能障碍\n", encoding="utf-8")
    (root / "ADRG.dat").write_text("FM1 经皮大血管复杂手术\nFR4 心力衰竭、休克\n", encoding="utf-8")
    (root / "DRG.dat").write_text(drg_lines, encoding="utf-8")
    (root / "MDC" / "MDCF_循环系统疾病及功能障碍.dat").write_text(
        "包含以下主要诊断：\nI50.000 充血性心力衰竭\n"
    )
    (root / "ADRG" / "FM1_经皮大血管复杂手术.dat").write_text(
        "包含以下主要手术或操作：\n39.7100 腹主动脉支架植入\n"
    )
    (root / "ADRG" / "FR4_心力衰竭、休克.dat").write_text("包含以下主要诊断：\nI50.000 充血性心力衰竭\n")
    (root / "MCC.dat").write_text("I46.000 12\n", encoding="utf-8")
    (root / "CC.dat").write_text("C91.100B细胞型慢性淋巴细胞白血病 33\n", encoding="utf-8")
    (root / "CCE.dat").write_text("变H59.001 80\nI50.000 12\n", encoding="utf-8")
    (root / "ZD_INVALID.dat").write_text("B95.000 A 族链球菌作为分类于其他章疾病的原因\n", encoding="utf-8")
    (root / "SS_INVALID.dat").write_text("00.0101 头部血管治疗性超声\n", encoding="utf-8")
    return root


def test_the_last_digit_gives_the_split_and_stray_characters_are_tolerated(tmp_path):
    parsed = parse_catalogue(
        "chs-drg-2.0", _folder(tmp_path, "FM19 经皮大血管复杂手术\nFR41 心力衰竭、休克，伴MCC\n")
    )
    assert parsed.drgs == {
        "FM19": ("FM1", "经皮大血管复杂手术", "9"),
        "FR41": ("FR4", "心力衰竭、休克，伴MCC", "1"),
    }
    assert parsed.adrgs["FR4"] == ("MDCF", "心力衰竭、休克")
    assert ("CC", "C91.100", "", "33") in parsed.complications
    assert parsed.exclusions == [("80", "H59.001", ""), ("12", "I50.000", "")]


@pytest.mark.parametrize("line", ["FM17 不存在的细分\n", "FM1 缺末位\n", "XX19 无此 ADRG\n"])
def test_a_drg_code_without_a_valid_split_or_adrg_is_refused(tmp_path, line):
    with pytest.raises(RuleFileError):
        parse_catalogue("chs-drg-2.0", _folder(tmp_path, "FM19 经皮大血管复杂手术\n" + line))


def test_connectives_conditions_and_markers_of_a_rule_file(tmp_path):
    path = tmp_path / "AC1_胰／肾联合移植.dat"
    path.write_text(
        "入组条件：主要诊断+手术\n同时包含以下手术：\n52.8000 胰腺移植\n52.8000 胰腺移植\n和\n55.6100 肾自体移植术\n"
        "# S12.910 开放性颈椎骨折\n包含全部手术\n",
        encoding="utf-8",
    )
    lists = parse_rule_list_file(path, "AC1", "")
    assert [(x.heading, x.kind, x.note) for x in lists] == [
        ("同时包含以下手术：", "procedure", "入组条件：主要诊断+手术"),
        ("和", "procedure", ""),
        ("包含全部手术", "procedure", ""),
    ]
    assert lists[0].entries == [("52.8000", "胰腺移植", "")]  # the repeated line is kept once
    assert lists[1].entries == [("55.6100", "肾自体移植术", ""), ("S12.910", "开放性颈椎骨折", "#")]


def test_1_1_pdf_tables_are_read_across_page_numbers_headers_and_wrapped_names(tmp_path):
    root = tmp_path / "chs-drg-1.1"
    (root / "MDC").mkdir(parents=True)
    (root / "ADRG").mkdir()
    (root / "1_MDC.txt").write_text("MDCA 先期分组疾病及相关操作\n", encoding="utf-8")
    (root / "2_ADRG.txt").write_text("AA1 心脏移植\n", encoding="utf-8")
    (root / "3_DRG.txt").write_text("AA19 心脏移植\n", encoding="utf-8")
    (root / "MDC" / "MDCA_先期分组疾病及相关操作.dat").write_text("")
    (root / "ADRG" / "AA1_心脏移植.dat").write_text("包含以下主要手术或操作：\n37.5100 心脏移植术\n")
    (root / "5_MCC.txt").write_text(
        "疾病编码 疾病名称 排除内容\nA01.100 副伤寒甲 表 7-1\n"
        "1101 疾病编码 疾病名称 排除内容 A20.801 顿挫性鼠疫 表 7-3 A20.802 无症状鼠疫 表 7-3\n"
        "1102\nB21.300 人类免疫缺陷病毒[HIV]病造成的其他恶性肿\n瘤 表 7-9\nZ94.000 肾移植状态 无\n",
        encoding="utf-8",
    )
    (root / "6_CC.txt").write_text("疾病编码 疾病名称 排除内容\nA00.100 霍乱 表 7-1\n", encoding="utf-8")
    (root / "7_CCE.txt").write_text(
        "表 7-1\n包含以下主要诊断：\nA15.000x010 继发性肺结核（初治,单耐药）涂阳培\n阳\n1597\nC92.000x018 急 性 髓 系 白 血 病\n",
        encoding="utf-8",
    )
    parsed = parse_catalogue("chs-drg-1.1", root)
    assert [c for c in parsed.complications if c[0] == "MCC"] == [
        ("MCC", "A01.100", "副伤寒甲", "1"),
        ("MCC", "A20.801", "顿挫性鼠疫", "3"),
        ("MCC", "A20.802", "无症状鼠疫", "3"),
        ("MCC", "B21.300", "人类免疫缺陷病毒[HIV]病造成的其他恶性肿瘤", "9"),
        ("MCC", "Z94.000", "肾移植状态", ""),
    ]
    assert parsed.exclusions == [
        ("1", "A15.000x010", "继发性肺结核（初治,单耐药）涂阳培阳"),
        ("1", "C92.000x018", "急性髓系白血病"),
    ]
    assert parsed.rule_lists[0].owner_code == "AA1"  # the empty MDCA file has no lists
