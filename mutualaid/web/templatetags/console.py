"""Template filters of the console: money (fen → “1,234.50 元”), shares (basis points → “52.3%”)."""

from __future__ import annotations

from django import template

from mutualaid.platform.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    if fen is None or fen == "":
        return "—"
    text = fen_to_yuan(int(fen))
    whole, _, cents = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    return f"{sign}{int(whole):,}.{cents or '00'}"


@register.filter
def bp(value) -> str:
    if value is None:
        return "—"
    return f"{int(value) / 100:g}%"


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
