"""DRG / ICD catalogues: import times per version, and type-ahead search times through the platform GraphQL view.

Imports the real reference data (../shared/data or $MUTUALAID_REFERENCE_DATA) into a scratch database, then times
each search query as a whole request (Django test client: middleware, session user, GraphQL, SQL) over the full
lists. Goal: a catalogue version in a few seconds; every search ≤ 50 ms server time.
Usage: python bench/drg_catalogue.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import time

from _setup import emit, setup, summary

SEARCHES = {
    "drg code prefix (FM1, 1.1)": ('drgs(version: "chs-drg-1.1", search: "FM1", first: 20)', "drgs"),
    "drg name substring (心力衰竭, 2.0)": (
        'drgs(version: "chs-drg-2.0", search: "心力衰竭", first: 20)',
        "drgs",
    ),
    "icd diagnosis code prefix (i21.0)": (
        'icdCodes(kind: DIAGNOSIS, search: "i21.0", first: 20)',
        "icdCodes",
    ),
    "icd diagnosis name (心肌梗死)": ('icdCodes(kind: DIAGNOSIS, search: "心肌梗死", first: 20)', "icdCodes"),
    "icd procedure name (切除, 2299 hits)": (
        'icdCodes(kind: PROCEDURE, search: "切除", first: 20)',
        "icdCodes",
    ),
    "icd any kind name (肺, 1083 hits)": ('icdCodes(search: "肺", first: 20)', "icdCodes"),
    "icd any kind one letter prefix (S)": ('icdCodes(search: "S", first: 20)', "icdCodes"),
}


def timed(label, fn):
    started = time.perf_counter()
    result = fn()
    return label, time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup("bench_drg")

    from django.test import Client

    from mutualaid.drg.city_weights import import_city_weights
    from mutualaid.drg.demo import reference_data_dir
    from mutualaid.drg.importer import import_catalogue, import_icd
    from mutualaid.platform.accounts.models import User

    data = reference_data_dir()
    imports = {}
    for version in ("chs-drg-1.1", "chs-drg-2.0"):
        _, first, result = timed(version, lambda v=version: import_catalogue(v, data / "drg" / v))
        _, again, unchanged = timed(version, lambda v=version: import_catalogue(v, data / "drg" / v))
        _, forced, _ = timed(version, lambda v=version: import_catalogue(v, data / "drg" / v, force=True))
        assert result.changed and not unchanged.changed
        imports[version] = {"first_s": first, "unchanged_s": again, "forced_s": forced, "rows": result.counts}
    _, icd_s, icd = timed("icd", lambda: import_icd(data / "icd"))
    imports["icd"] = {"first_s": icd_s, "diagnoses": icd.diagnoses, "procedures": icd.procedures}
    city = data / "drg" / "city-payment-standards" / "苏州2022.csv"
    _, city_s, weights = timed("city", lambda: import_city_weights("苏州", 2022, city))
    imports["苏州2022 (GBK)"] = {
        "first_s": city_s,
        "rows": weights.rows,
        "unknown": len(weights.unknown_codes),
    }

    user, _ = User.objects.get_or_create(username="bench_drg")
    client = Client()
    client.force_login(user)
    searches = {}
    for label, (field, key) in SEARCHES.items():
        body = json.dumps({"query": f"{{ {field} {{ totalCount edges {{ node {{ code name }} }} }} }}"})
        seconds = []
        for _ in range(args.repeat + 1):
            started = time.perf_counter()
            response = client.post("/graphql/", body, content_type="application/json")
            seconds.append(time.perf_counter() - started)
            payload = response.json()
            assert "errors" not in payload, payload
        searches[label] = {"hits": payload["data"][key]["totalCount"], **summary(seconds[1:])}
    emit({"benchmark": "drg_catalogue", "imports": imports, "search_request_seconds": searches})


if __name__ == "__main__":
    main()
