"""Compile the console's .po catalogues into $MUTUALAID_HOME/locale at start (a fresh clone has no .mo files and
GNU gettext is not a dependency). Only msgid/msgstr pairs of single-line or concatenated strings are read."""

from __future__ import annotations

import ast
import struct
from pathlib import Path

from django.conf import settings

SOURCE = Path(__file__).resolve().parent / "locale"


def parse_po(text: str) -> dict[str, str]:
    """msgid → msgstr of a .po file (untranslated entries left out; the header kept)."""
    messages: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if value:
                messages[key] = value

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [ast.literal_eval(line[6:])], None
        elif line.startswith("msgstr ") and msgid is not None:
            msgstr = [ast.literal_eval(line[7:])]
        elif line.startswith('"'):
            (msgstr if msgstr is not None else msgid or []).append(ast.literal_eval(line))
    flush()
    return messages


def write_mo(messages: dict[str, str], path: Path) -> None:
    keys = sorted(messages)
    ids = b""
    strs = b""
    offsets = []
    for k in keys:
        kb, vb = k.encode(), messages[k].encode()
        offsets.append((len(ids), len(kb), len(strs), len(vb)))
        ids += kb + b"\0"
        strs += vb + b"\0"
    start = 7 * 4
    key_table = start
    value_table = key_table + len(keys) * 8
    ids_start = value_table + len(keys) * 8
    strs_start = ids_start + len(ids)
    out = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), key_table, value_table, 0, 0)
    for o, n, _, _ in offsets:
        out += struct.pack("ii", n, ids_start + o)
    for _, _, o, n in offsets:
        out += struct.pack("ii", n, strs_start + o)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(out + ids + strs)
    tmp.replace(path)


def compile_catalogues() -> None:
    target_root = Path(settings.LOCALE_PATHS[0]) if settings.LOCALE_PATHS else None
    if target_root is None:
        return
    for po in SOURCE.glob("*/LC_MESSAGES/django.po"):
        mo = target_root / po.relative_to(SOURCE).with_suffix(".mo")
        try:
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            messages = parse_po(po.read_text(encoding="utf-8"))
            messages.setdefault("", "Content-Type: text/plain; charset=UTF-8\n")
            write_mo(messages, mo)
        except OSError:  # a read-only home: the pages stay in Chinese
            continue
