"""The SMS gateway interface. We run no gateway: production plugs in a provider's adapter through SMS_BACKEND;
development writes messages to a file under $MUTUALAID_HOME (``mutualaid sms outbox`` reads it), and tests use
the recording backend, which keeps what would have been sent in memory."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

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


def outbox_path() -> Path:
    """The development outbox: one JSON line a message, ``$MUTUALAID_HOME/sms/outbox.jsonl``."""
    configured = getattr(settings, "SMS_OUTBOX_PATH", None)
    return Path(configured) if configured else Path(settings.HOME) / "sms" / "outbox.jsonl"


class FileSmsBackend(SmsBackend):
    """Appends each message to the outbox file (mode 0600). The web process and the worker both send: every
    message is one ``write`` to a file opened with O_APPEND, under an exclusive lock, so lines never mix."""

    def __init__(self, path: Path | None = None):
        self.path = path or outbox_path()

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = json.dumps(
            {"sent_at": timezone.now().isoformat(), "phone": phone, "text": text}, ensure_ascii=False
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)  # closing releases the lock


def read_outbox(path: Path | None = None, *, phone: str | None = None, limit: int = 20) -> list[SmsMessage]:
    """The latest ``limit`` messages of the outbox file (to ``phone`` only, when given), oldest first."""
    path = path or outbox_path()
    if not path.exists():
        return []
    latest: deque[SmsMessage] = deque(maxlen=max(limit, 0))
    with path.open(encoding="utf-8") as lines:
        fcntl.flock(lines.fileno(), fcntl.LOCK_SH)
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a torn line from a crashed writer
            if phone is not None and row.get("phone") != phone:
                continue
            latest.append(SmsMessage(row["phone"], row["text"], datetime.fromisoformat(row["sent_at"])))
    return list(latest)


@cache
def _backend() -> SmsBackend:
    return import_string(str(settings.SMS_BACKEND))()


def send_sms(phone: str, text: str) -> None:
    _backend().send(phone, text)
