"""Celery tasks of the claims app. tenant-schemas-celery runs them in the schema of the town they were sent from;
they take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from mutualaid.claims.models import SmsNotice
from mutualaid.platform import crypto
from mutualaid.platform.sms import send_sms


@shared_task(name="claims.send_decision_sms", bind=True, max_retries=5, default_retry_delay=30)
def send_decision_sms(self, notice_id: int) -> str:
    """Send the SMS of one decision, exactly once: the notice row is locked while sending and marked sent in the
    same transaction, so a retried or redelivered task finds it sent and does nothing."""
    try:
        return _send(notice_id)
    except Exception as exc:  # the gateway failed: nothing was marked sent, try again later
        raise self.retry(exc=exc) from exc


def _send(notice_id: int) -> str:
    with transaction.atomic():
        notice = (
            SmsNotice.objects.select_for_update().select_related("claim__member").filter(pk=notice_id).first()
        )
        if notice is None:
            return "missing"
        if notice.sent_at is not None:
            return "already_sent"
        if notice.skipped:
            return "skipped"
        notice.attempts += 1
        phone = crypto.decrypt(notice.claim.member.phone_encrypted)
        send_sms(phone, notice.text)
        notice.sent_at = timezone.now()
        notice.save(update_fields=["attempts", "sent_at"])
    return "sent"


@shared_task(name="claims.send_decision_sms_many", bind=True, max_retries=5, default_retry_delay=30)
def send_decision_sms_many(self, notice_ids: list[int]) -> dict[str, int]:
    """The SMS of a batch of decisions; each notice is sent once (see ``send_decision_sms``), so a retry of the
    batch sends only what is left."""
    counts: dict[str, int] = {}
    for notice_id in notice_ids:
        try:
            outcome = _send(notice_id)
        except Exception as exc:  # the gateway failed: the rest are tried again later
            raise self.retry(exc=exc) from exc
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
