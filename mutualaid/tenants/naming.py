"""Schema names and sub-domains for towns."""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin

_SUFFIXES = ("街道办事处", "街道", "镇", "乡")


def schema_name_for(code: str) -> str:
    return f"town_{code}"


def slug_for(name: str, code: str, taken: set[str]) -> str:
    """大公镇 → dagong; falls back to the division code when the pinyin is taken or empty."""
    base = name
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    slug = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(base)).lower())[:40]
    if not slug or slug in taken:
        slug = f"{slug}{code}" if slug else f"t{code}"
    return slug
