"""乡村公益医疗互助 platform."""

from mutualaid.project.celery import app as celery_app

__all__ = ["celery_app"]
