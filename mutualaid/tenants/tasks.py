from __future__ import annotations

from celery import shared_task

from mutualaid.tenants.provisioning import provision_town


@shared_task(name="tenants.provision_town")
def provision_town_task(town_id: int) -> None:
    """Idempotent: provisions a town that is 开通中 and does nothing otherwise."""
    provision_town(town_id)
