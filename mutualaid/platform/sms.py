"""The SMS gateway interface. We run no gateway: production plugs in a provider's adapter through
SMS_BACKEND; development and tests use the recording backend, which keeps what would have been sent."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    sent_at: datetime = field(default_factory=timezone.now)


class SmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class RecordingSmsBackend(SmsBackend):
    """Keeps messages in memory of this process (tests read ``outbox``)."""

    outbox: list[SmsMessage] = []
    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            self.outbox.append(SmsMessage(phone, text))


@cache
def _backend() -> SmsBackend:
    return import_string(str(settings.SMS_BACKEND))()


def send_sms(phone: str, text: str) -> None:
    _backend().send(phone, text)
