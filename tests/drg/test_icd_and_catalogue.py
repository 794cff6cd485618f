"""ICD 医保版 lists with grey codes; the catalogue functions other apps call; the demo loader."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualaid.drg.catalogue import UnknownCatalogueVersion, drg_names, unknown_drg_codes
from mutualaid.drg.demo import ensure_demo_catalogues
from mutualaid.drg.models import IcdCode, IcdImport
from tests.drg.conftest import DATA, ICD_DATA, needs_data


@needs_data
def test_icd_lists_are_imported_with_their_grey_codes_flagged(catalogues):
    diagnoses = IcdCode.objects.filter(kind="diagnosis")
    procedures = IcdCode.objects.filter(kind="procedure")
    assert (diagnoses.count(), procedures.count()) == (33307, 13686)
    # the grey lists (灰码) name codes of the main lists; 2,725 lines of ICD-10 grey codes hold 2,695 distinct ones
    assert (diagnoses.filter(grey=True).count(), procedures.filter(grey=True).count()) == (2695, 2241)
    assert diagnoses.get(code="I21.000").grey is True
    assert diagnoses.get(code="A00.000x001").grey is False
    assert procedures.get(code="00.0100").grey is True and procedures.get(code="00.0101").grey is False
    assert diagnoses.get(code="A02.201+J17.0*").name


@needs_data
def test_icd_reimport_changes_nothing(catalogues):
    ids = set(IcdCode.objects.values_list("pk", flat=True))
    stamp = IcdImport.objects.get().imported_at
    out = StringIO()
    call_command("icd", "import", str(ICD_DATA), stdout=out)
    call_command("icd", "import", stdout=out)  # the default folder is the reference data's icd/
    assert out.getvalue().count("已是最新") == 2 and str(ICD_DATA) in out.getvalue()
    assert (
        set(IcdCode.objects.values_list("pk", flat=True)) == ids
        and IcdImport.objects.get().imported_at == stamp
    )


def test_icd_import_of_a_wrong_folder_is_refused(db, tmp_path):
    (tmp_path / "ICD10医保版v2.0.dat").write_text("A00.000 霍乱\n", encoding="utf-8")
    before = IcdCode.objects.count()
    with pytest.raises(CommandError, match=re.escape("缺少 ICD10医保版v2.0灰码.dat")):
        call_command("icd", "import", str(tmp_path))
    assert IcdCode.objects.count() == before


@needs_data
def test_unknown_drg_codes_and_drg_names_are_by_version(catalogues):
    codes = ["FM19", "fm19 ", "ES21", "BB2A", "ZZ99"]
    assert unknown_drg_codes("chs-drg-1.1", codes) == {"BB2A", "ZZ99"}
    assert drg_names("chs-drg-1.1", ["FM19", "BB2A"]) == {"FM19": "经皮冠状动脉支架植入"}
    assert drg_names("chs-drg-2.0", ["FM19", "fm19 "]) == {
        "FM19": "经皮大血管复杂手术",
        "fm19 ": "经皮大血管复杂手术",
    }
    assert unknown_drg_codes("chs-drg-2.0", []) == set()


def test_an_unknown_catalogue_version_is_a_lookup_error(db):
    with pytest.raises(UnknownCatalogueVersion, match=re.escape("chs-drg-9.9 未导入或不存在")):
        unknown_drg_codes("chs-drg-9.9", ["FM19"])
    with pytest.raises(LookupError):
        drg_names("chs-drg-9.9", ["FM19"])


@needs_data
def test_demo_catalogues_are_quick_and_idempotent_when_already_there(catalogues):
    result = ensure_demo_catalogues(DATA)
    assert result.present and result.imported == []


def test_demo_catalogues_without_reference_data_do_nothing(db, tmp_path):
    result = ensure_demo_catalogues(tmp_path)
    assert not result.present and result.imported == []
