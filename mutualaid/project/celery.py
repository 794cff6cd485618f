"""The Celery app. tenant-schemas-celery carries the town's schema with every task sent from a town."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")

app = CeleryApp("mutualaid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
