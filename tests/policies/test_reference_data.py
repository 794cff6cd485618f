"""The presets' default subsidy table against the real CHS-DRG 1.1 group list in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutualaid.policies.presets import DEFAULT_TABLE_CHS_11, PRESETS

DRG_LIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "drg" / "chs-drg-1.1" / "3_DRG.txt"


@pytest.fixture(scope="module")
def chs_drg_11() -> dict[str, str]:
    if not DRG_LIST.is_file():
        pytest.skip(f"参考数据不存在：{DRG_LIST}")
    groups = {}
    for line in DRG_LIST.read_text(encoding="utf-8").splitlines():
        code, _, name = line.strip().partition(" ")
        if code:
            groups[code] = name.strip()
    return groups


def test_every_preset_group_is_a_real_chs_drg_11_group_with_its_name(chs_drg_11):
    for row in DEFAULT_TABLE_CHS_11:
        assert chs_drg_11.get(row.drg_code) == row.drg_name, row.drg_code


def test_presets_use_the_chs_drg_11_catalogue(chs_drg_11):
    assert {preset.values.drg_catalogue_version for preset in PRESETS.values()} == {"chs-drg-1.1"}
