from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualaid.platform.regions.models import City, County, Province, Township

REGIONS = Path(__file__).resolve().parents[3] / "shared" / "data" / "regions"
needs_data = pytest.mark.skipif(not REGIONS.is_dir(), reason=f"reference data folder {REGIONS} is absent")


@needs_data
def test_regions_import_loads_the_national_division_codes_idempotently(db):
    call_command("regions", "import", str(REGIONS))
    counts = (
        Province.objects.count(),
        City.objects.count(),
        County.objects.count(),
        Township.objects.count(),
    )
    assert counts[0] == 31 and counts[1] > 300 and counts[2] > 2900 and counts[3] > 40000
    assert Township.objects.get(code="320685107").name == "大公镇"
    assert Township.objects.get(code="500152116").county.name == "潼南区"

    call_command("regions", "import", str(REGIONS))
    assert (
        Province.objects.count(),
        City.objects.count(),
        County.objects.count(),
        Township.objects.count(),
    ) == counts


def test_regions_import_refuses_a_folder_without_the_files(db, tmp_path):
    with pytest.raises(CommandError, match="缺少文件"):
        call_command("regions", "import", str(tmp_path))
    assert Province.objects.filter(code="11").count() == 0
