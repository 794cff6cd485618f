"""Presets put to work: a pilot town's draft on onboarding, and the demo step that publishes the town's preset.

The presets themselves (the two seed documents as values, their date rules and which town gets which) are plain
data in ``mutualaid.policies.documents``, re-exported here; loading one into a town is
``mutualaid.policies.actions.apply_preset``. This module sits above both, so neither imports it.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from mutualaid.drg.catalogue import catalogue_version_exists
from mutualaid.drg.demo import ensure_demo_catalogues
from mutualaid.policies.actions import apply_preset
from mutualaid.policies.documents import (
    DEFAULT_TABLE_CHS_11,
    FAMILIES,
    HAIAN_2022,
    PRESETS,
    TOWN_PRESETS,
    XINSHENG_2022,
    Preset,
    resolve_preset,
)

__all__ = [
    "DEFAULT_TABLE_CHS_11",
    "FAMILIES",
    "HAIAN_2022",
    "PRESETS",
    "TOWN_PRESETS",
    "XINSHENG_2022",
    "Preset",
    "publish_demo_preset",
    "resolve_preset",
    "seed_preset_draft",
]

logger = logging.getLogger(__name__)


def seed_preset_draft(sender=None, town=None, **kwargs) -> None:
    """On onboarding (inside the new schema): a pilot town starts with its document's preset as a draft, for its
    admin to review and publish. Other towns start empty and apply their document's preset (``auto``) themselves,
    for the scheme year they choose."""
    if town is not None and town.code in TOWN_PRESETS:
        apply_preset(town.code, None)


def publish_demo_preset(town) -> None:
    """Demo step (inside the town's schema): apply and publish the town's preset once; idempotent."""
    if town.code not in TOWN_PRESETS:
        return
    # Publishing checks the subsidy table against the shared DRG catalogue: when its version is missing, load the
    # demo catalogues from the reference data (shared by all towns; without the data the preset stays a draft).
    if not catalogue_version_exists(PRESETS[TOWN_PRESETS[town.code]].values.drg_catalogue_version):
        ensure_demo_catalogues()
    try:
        apply_preset(town.code, None, publish=True)
    except (ValidationError, ImportError) as exc:  # e.g. the DRG catalogue is not imported yet
        logger.warning("%s：互助政策预设未发布：%s", town.name, exc)
