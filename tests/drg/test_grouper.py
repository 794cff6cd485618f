"""The grouper over the real CHS-DRG 1.1 and 2.0 tables: every MDC's ADRGs are reached from their own lists, the
severity split follows the MCC/CC lists and the exclusion tables, the special MDCs take their stays first, and
every refusal has its typed code. Built once per version from the imported catalogue; grouping asks nothing of
the database."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mutualaid.drg import grouper as grouping
from mutualaid.drg.catalogue import UnknownCatalogueVersion
from mutualaid.drg.grouper import ANYDX, ANYPROC, NOPROC, PDX, PPROC, SDX, get_grouper
from mutualaid.drg.models import CatalogueVersion
from tests.drg.conftest import needs_data

pytestmark = needs_data

VERSIONS = ["chs-drg-1.1", "chs-drg-2.0"]


@pytest.fixture
def groupers(catalogues):
    return {version: get_grouper(version) for version in VERSIONS}


def _earlier_codes(g, adrg) -> set[str]:
    """Codes of the ADRGs tried before ``adrg`` (the pre-MDC and the same MDC's earlier ones): a stay built
    from codes outside them cannot be taken earlier."""
    codes: set[str] = set()
    for other in g.adrgs:
        if (other.mdc == "MDCA" and adrg.mdc != "MDCA") or (
            other.mdc == adrg.mdc and other.order < adrg.order
        ):
            for term in other.terms:
                for clause in term:
                    for kind, atom_codes, _ in clause:
                        if kind != NOPROC:
                            codes |= atom_codes
    return codes


def _own_mdc_principal(g, mdc_code: str, taken: set[str], pool=None) -> str | None:
    position = next(i for i, m in enumerate(g.mdcs) if m.code == mdc_code)
    for code in sorted(pool if pool is not None else g.mdcs_by_pdx):
        if (
            g.mdcs_by_pdx.get(code) == (position,)
            and code not in taken
            and code not in g.grey_diagnoses
            and code not in g.invalid_principal
        ):
            return code
    return None


def _stay_for(g, adrg) -> dict | None:
    """A stay built from the first entry condition of ``adrg``, or None when the tables give no clean one."""
    if adrg.mdc == "MDCZ" or not adrg.terms:
        return None
    taken = _earlier_codes(g, adrg)
    term = adrg.terms[0]
    pdx = pproc = None
    secondaries: list[str] = []
    procedures: list[str] = []
    for clause in term:
        kind, codes, _ = clause[0]
        free = sorted(codes - taken) if kind != NOPROC else []
        if kind == PDX:
            if adrg.mdc == "MDCA":
                pdx = next((c for c in free if c not in g.grey_diagnoses), None)
            else:
                pdx = _own_mdc_principal(g, adrg.mdc, taken, codes)
            if pdx is None:
                return None
        elif kind in (SDX, ANYDX):
            if not free:
                return None
            secondaries.append(free[0])
        elif kind == PPROC:
            if not free:
                return None
            pproc = free[0]
        elif kind == ANYPROC:
            if not free:
                return None
            procedures.append(free[0])
    if pdx is None:
        if adrg.mdc == "MDCA":
            pdx = "J18.900"  # 肺炎
        elif g.mdcs[[m.code for m in g.mdcs].index(adrg.mdc)].any_diagnosis:
            pdx = "J18.900"
            if not secondaries:
                mdc = next(m for m in g.mdcs if m.code == adrg.mdc)
                secondaries.append(sorted(mdc.any_diagnosis - taken)[0])
        else:
            pdx = _own_mdc_principal(g, adrg.mdc, taken)
            if pdx is None:
                return None
    stay = {
        "sex": 2 if adrg.mdc == "MDCN" else 1,
        "age": 40,
        "diagnoses": [pdx, *secondaries],
        "procedures": ([pproc] if pproc else []) + procedures,
    }
    if adrg.mdc == "MDCP":
        stay.update(age=0, age_days=10 if adrg.newborn else 100)
        if adrg.weight:
            stay["weight"] = adrg.weight[0] + 1
    return stay


@pytest.mark.parametrize("version", VERSIONS)
def test_a_stay_built_from_an_adrgs_lists_lands_in_that_adrg_for_a_sample_of_every_mdc(groupers, version):
    g = groupers[version]
    tested: dict[str, list[str]] = {}
    for mdc in g.mdcs:
        sample = [a for a in g.adrgs if a.mdc == mdc.code]
        surgical = [a for a in sample if a.code[1] < "R"][:4]
        medical = [a for a in sample if a.code[1] >= "R"][:4]
        for adrg in surgical + medical:
            stay = _stay_for(g, adrg)
            if stay is None:
                continue
            result = g.group(**stay)
            assert result.ok, (adrg.code, stay, result)
            assert (result.mdc, result.adrg) == (adrg.mdc, adrg.code), (stay, result.reasons)
            assert result.drg[:3] == adrg.code and result.drg[3] in adrg.splits
            assert any(r.startswith(f"入组 ADRG {adrg.code}") for r in result.reasons)
            tested.setdefault(mdc.code, []).append(adrg.code)
    untested = [m.code for m in g.mdcs if m.code not in tested and m.code != "MDCZ"]
    assert not untested, untested
    assert sum(len(v) for v in tested.values()) >= 120


@pytest.mark.parametrize("version", VERSIONS)
def test_an_mcc_gives_suffix_1_unless_the_principal_diagnosis_excludes_it(groupers, version):
    g = groupers[version]
    checked = excluded_checked = 0
    for adrg in g.adrgs:
        if adrg.splits != "135" or adrg.code[1] < "R" or adrg.mdc in ("MDCP", "MDCZ", "MDCY"):
            continue
        stay = _stay_for(g, adrg)
        if stay is None:
            continue
        pdx = stay["diagnoses"][0]
        tables = g.exclusions.get(pdx, frozenset())
        counted = next(
            c for c, t in sorted(g.mcc.items()) if t not in tables and c not in g.mdcs_by_pdx.get(pdx, ())
        )
        with_mcc = g.group(**{**stay, "diagnoses": [pdx, counted]})
        assert with_mcc.drg == adrg.code + "1", with_mcc.reasons
        assert f"其他诊断 {g._name(counted)} 为 MCC，计入" in with_mcc.reasons
        without = g.group(**stay)
        assert without.drg == adrg.code + "5"
        checked += 1
        cancelled = [c for c, t in sorted(g.mcc.items()) if t and t in tables]
        if cancelled:
            excluded = g.group(**{**stay, "diagnoses": [pdx, cancelled[0]]})
            assert excluded.drg == adrg.code + "5", excluded.reasons
            assert any("排除表" in r and "不计入" in r for r in excluded.reasons)
            excluded_checked += 1
        if checked >= 15:
            break
    assert checked >= 10 and excluded_checked >= 3, (checked, excluded_checked)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_cc_gives_suffix_3_and_nothing_gives_5_or_9(groupers, version):
    g = groupers[version]
    adrg = next(a for a in g.adrgs if a.splits == "35" and a.code[1] >= "R" and _stay_for(g, a))
    stay = _stay_for(g, adrg)
    pdx = stay["diagnoses"][0]
    tables = g.exclusions.get(pdx, frozenset())
    cc = next(c for c, t in sorted(g.cc.items()) if t not in tables and c not in g.mcc)
    assert g.group(**{**stay, "diagnoses": [pdx, cc]}).drg == adrg.code + "3"
    assert g.group(**stay).drg == adrg.code + "5"
    unsplit = next(a for a in g.adrgs if a.splits == "9" and a.code[1] >= "R" and _stay_for(g, a))
    mcc = sorted(g.mcc)[0]
    result = g.group(**{**_stay_for(g, unsplit), "diagnoses": [*_stay_for(g, unsplit)["diagnoses"], mcc]})
    assert result.drg == unsplit.code + "9"


@pytest.mark.parametrize("version", VERSIONS)
def test_newborns_go_to_mdcp_by_age_and_birth_weight(groupers, version):
    g = groupers[version]
    rds = g.group(sex=1, age=0, age_days=3, weight=3000, diagnoses=["P22.000"])
    assert (rds.mdc, rds.adrg) == ("MDCP", "PR1"), rds.reasons
    ps1 = next(a for a in g.adrgs if a.code == "PS1")
    tiny = sorted(ps1.terms[0][0][0][1] & set(g.mdcs_by_pdx))[0]
    assert g.group(sex=2, age=0, age_days=5, weight=1200, diagnoses=[tiny]).adrg == "PS1"
    assert g.group(sex=2, age=0, age_days=5, weight=1800, diagnoses=[tiny]).adrg == "PS2"
    assert g.group(sex=2, age=0, age_days=5, weight=2600, diagnoses=[tiny]).adrg == "PS4"
    # An infant past 28 days is no newborn: the newborn ADRGs pass it by.
    older = g.group(sex=1, age=0, age_days=90, weight=3000, diagnoses=["P22.000"])
    assert older.adrg != "PR1"


@pytest.mark.parametrize("version", VERSIONS)
def test_hiv_goes_to_mdcy_before_its_organ_system(groupers, version):
    g = groupers[version]
    result = g.group(sex=1, age=35, diagnoses=["B20.003"])  # 人类免疫缺陷病毒病性肺结核
    assert (result.mdc, result.adrg) == ("MDCY", "YR1"), result.reasons
    secondary = g.group(sex=1, age=35, diagnoses=["J18.900", "B20.003"])  # 肺炎 with HIV as a secondary
    if version == "chs-drg-2.0":  # 2.0's MDCY list is headed 包含以下诊断: any diagnosis
        assert secondary.mdc == "MDCY", secondary.reasons
    else:
        assert secondary.mdc == "MDCE", secondary.reasons


@pytest.mark.parametrize("version", VERSIONS)
def test_multiple_major_trauma_needs_two_body_regions(groupers, version):
    g = groupers[version]
    two = g.group(sex=1, age=30, diagnoses=["S06.500", "S27.000"])  # 创伤性硬膜下出血 + 创伤性气胸
    assert (two.mdc, two.adrg) == ("MDCZ", "ZZ1"), two.reasons
    assert any("2 个部位" in r for r in two.reasons)
    one = g.group(sex=1, age=30, diagnoses=["S06.500"])
    assert one.mdc == "MDCB", one.reasons
    assert any("未涉及两个以上部位" in r for r in one.reasons)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_refusal_has_its_typed_code(groupers, version):
    g = groupers[version]
    cases = {
        "required": dict(diagnoses=[]),
        "unknown_code": dict(diagnoses=["J18.900", "ZZZ.999"]),
        "grey_principal_diagnosis": dict(diagnoses=["A00.000"]),
        "sex_conflict": dict(sex=2, diagnoses=["N40.x00"]),  # 前列腺增生
        "age_conflict": dict(age=40, diagnoses=["P22.000"]),  # 新生儿呼吸窘迫综合征
    }
    nowhere = sorted(g.known_dx - set(g.mdcs_by_pdx) - g.grey_diagnoses - g.invalid_principal)[0]
    cases["ungroupable"] = dict(diagnoses=[nowhere])
    fields = {
        "required": "diagnoses",
        "unknown_code": "diagnoses.1",
        "sex_conflict": "sex",
        "age_conflict": "age",
    }
    for code, stay in cases.items():
        result = g.group(**{"sex": 1, "age": 50, **stay})
        assert result.status == code, (code, result)
        assert (result.drg, result.mdc, result.adrg) == ("0000", "", "")
        assert result.message and result.reasons[-1] == result.message
        if code in fields:
            assert result.field == fields[code]
    unknown_procedure = g.group(sex=1, age=50, diagnoses=["J18.900"], procedures=["99.99999"])
    assert (unknown_procedure.status, unknown_procedure.field) == ("unknown_code", "procedures.0")
    if version == "chs-drg-2.0":
        assert g.group(sex=1, age=50, diagnoses=["B95.000"]).status == "invalid_principal_diagnosis"


def test_codes_are_matched_after_trimming_and_case_folding(groupers):
    g = groupers["chs-drg-1.1"]
    assert (
        g.group(sex=1, age=60, diagnoses=[" j18.900 "]).adrg
        == g.group(sex=1, age=60, diagnoses=["J18.900"]).adrg
    )


def test_surgery_comes_before_the_medical_adrg(groupers):
    g = groupers["chs-drg-1.1"]
    medical = g.group(sex=1, age=60, diagnoses=["I21.900"])  # 急性心肌梗死
    assert medical.mdc == "MDCF" and medical.adrg[1] >= "R"
    fm1 = next(a for a in g.adrgs if a.code == "FM1")
    stent = sorted(fm1.terms[0][0][0][1])[0]
    surgical = g.group(sex=1, age=60, diagnoses=["I21.900"], procedures=[stent])
    assert surgical.adrg == "FM1", surgical.reasons


def test_grouping_asks_nothing_of_the_database(groupers, django_assert_num_queries):
    g = groupers["chs-drg-2.0"]
    with django_assert_num_queries(0):
        for _ in range(50):
            g.group(sex=1, age=60, diagnoses=["I21.900", "J96.000"], procedures=["36.0700"])


def test_the_cached_grouper_is_rebuilt_when_its_version_is_reimported(groupers):
    first = get_grouper("chs-drg-1.1")
    assert get_grouper("chs-drg-1.1") is first
    CatalogueVersion.objects.filter(code="chs-drg-1.1").update(imported_at=timezone.now())
    rebuilt = get_grouper("chs-drg-1.1")
    assert rebuilt is not first
    assert get_grouper("chs-drg-2.0") is groupers["chs-drg-2.0"]
    grouping.invalidate("chs-drg-2.0")
    assert get_grouper("chs-drg-2.0") is not groupers["chs-drg-2.0"]


def test_an_unknown_version_is_refused(catalogues):
    with pytest.raises(UnknownCatalogueVersion):
        get_grouper("chs-drg-9.9")


@pytest.mark.parametrize("version", VERSIONS)
def test_every_adrg_condition_of_the_tables_is_understood(groupers, version):
    g = groupers[version]
    assert g.problems == []
    assert all(a.terms for a in g.adrgs)
    kinds = {atom[0] for a in g.adrgs for term in a.terms for clause in term for atom in clause}
    assert {PDX, PPROC, ANYPROC, ANYDX, NOPROC} <= kinds
