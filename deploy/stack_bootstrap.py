"""One-off set-up of a fresh local stack's database, run by ``deploy/local-stack`` after ``mutualaid migrate``
(what an operator does once by hand on a new cluster): the seed regions, the DRG groups the document presets'
subsidy tables name (rows only, no reference data needed), the ICD 医保版 lists claims are checked against (the
reference data's, as ``mutualaid icd import`` loads them, when ../shared/data/icd is there; else the few codes the
smoke suite's claims name), and the first accounts — platform staff and the two
county bureaus of the demo counties — whose password is the one argument. Idempotent.

Everything after this goes through HTTP.
"""

from __future__ import annotations

import json
import os
import sys


def _catalogue_for_presets() -> dict[str, int]:
    from mutualaid.drg.models import Adrg, CatalogueVersion, Drg, Mdc
    from mutualaid.policies.documents import PRESETS

    wanted: dict[str, set[str]] = {}
    for preset in PRESETS.values():
        version = preset.values.drg_catalogue_version
        wanted.setdefault(version, set()).update(row.drg_code for row in preset.values.subsidy_table)
    made = {}
    for code, drg_codes in wanted.items():
        version, _ = CatalogueVersion.objects.get_or_create(code=code, defaults={"name": code.upper()})
        missing = drg_codes - set(Drg.objects.filter(version=version).values_list("code", flat=True))
        for drg in sorted(missing):
            mdc, _ = Mdc.objects.get_or_create(
                version=version, code=f"MDC{drg[0]}", defaults={"name": drg[0]}
            )
            adrg, _ = Adrg.objects.get_or_create(
                version=version, code=drg[:3], defaults={"mdc": mdc, "name": drg[:3]}
            )
            Drg.objects.create(version=version, adrg=adrg, code=drg, name=drg, split=drg[3])
        made[code] = len(missing)
    return made


# Without the reference data: the codes the smoke suite's claims use (ICD-10 医保版 2.0), so a claim can be filed.
STAND_IN_DIAGNOSES = {"J18.900": "肺炎", "J20.900": "急性支气管炎"}


def _icd_lists() -> dict[str, object]:
    from mutualaid.drg.demo import reference_data_dir
    from mutualaid.drg.importer import import_icd
    from mutualaid.drg.models import IcdCode

    folder = reference_data_dir() / "icd"
    if folder.is_dir():
        result = import_icd(folder)
        return {"source": str(folder), "diagnoses": result.diagnoses, "procedures": result.procedures}
    for code, name in STAND_IN_DIAGNOSES.items():
        IcdCode.objects.get_or_create(kind="diagnosis", code=code, defaults={"name": name})
    return {"source": "stand-in", "diagnoses": len(STAND_IN_DIAGNOSES), "procedures": 0}


def main(password: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")
    import django

    django.setup()
    from django.db import transaction

    from mutualaid.platform.accounts.models import RoleAssignment, User
    from mutualaid.platform.accounts.roles import Role
    from mutualaid.platform.regions.importer import ensure_seed_regions
    from mutualaid.platform.regions.models import County

    with transaction.atomic():
        ensure_seed_regions()
        catalogue = _catalogue_for_presets()
        icd = _icd_lists()
        users = {}
        for username, display, county in (
            ("stack_haian", "海安市乡村振兴局", "320685"),
            ("stack_tongnan", "潼南区乡村振兴局", "500152"),
            ("stack_platform", "平台运维", None),
        ):
            user, _ = User.objects.get_or_create(username=username, defaults={"display_name": display})
            user.set_password(password)
            if county is None:
                user.is_staff = user.is_superuser = True
            user.save()
            if county is not None:
                RoleAssignment.objects.get_or_create(
                    user=user, role=Role.COUNTY_BUREAU, county=County.objects.get(code=county)
                )
            users[username] = county or "platform"
    return {"users": users, "catalogue_rows_added": catalogue, "icd": icd}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
