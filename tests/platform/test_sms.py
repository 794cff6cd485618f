"""The development SMS backend: one JSON line a message under $MUTUALAID_HOME, mode 0600, safe when several
processes send at once; ``mutualaid sms outbox`` shows the latest ones."""

import json
import os
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualaid.platform.sms import FileSmsBackend, outbox_path, read_outbox


@pytest.fixture
def outbox(tmp_path, settings):
    settings.SMS_OUTBOX_PATH = str(tmp_path / "sms" / "outbox.jsonl")
    return outbox_path()


def test_the_outbox_lives_under_mutualaid_home_by_default(settings):
    settings.SMS_OUTBOX_PATH = None
    assert outbox_path() == settings.HOME / "sms" / "outbox.jsonl"


def test_messages_are_appended_as_json_lines_readable_only_by_the_owner(outbox):
    backend = FileSmsBackend()
    backend.send("13800001111", "第一条")
    backend.send("13800002222", "第二条：验证码 123456")
    assert stat.S_IMODE(os.stat(outbox).st_mode) == 0o600
    rows = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [(r["phone"], r["text"]) for r in rows] == [
        ("13800001111", "第一条"),
        ("13800002222", "第二条：验证码 123456"),
    ]
    assert [m.text for m in read_outbox(outbox, phone="13800002222")] == ["第二条：验证码 123456"]


def test_processes_sending_at_once_never_mix_lines(outbox):
    writers, per_writer = 4, 200
    children = []
    for w in range(writers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                backend = FileSmsBackend(outbox)
                for i in range(per_writer):
                    backend.send(f"1380000{w:04d}", f"进程 {w} 第 {i} 条 " + "长" * 300)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        assert os.waitpid(pid, 0)[1] == 0
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == writers * per_writer
    rows = [json.loads(line) for line in lines]  # every line is whole
    for w in range(writers):
        mine = [r["text"].split()[3] for r in rows if r["phone"] == f"1380000{w:04d}"]
        assert mine == [str(i) for i in range(per_writer)]  # each writer's order kept


def _outbox_command(*args) -> str:
    out = StringIO()
    call_command("sms", "outbox", *args, stdout=out)
    return out.getvalue()


def test_sms_outbox_shows_the_latest_messages_newest_last_with_masked_phones(outbox):
    backend = FileSmsBackend()
    for i in range(5):
        backend.send("13800001111" if i % 2 else "13900002222", f"消息 {i}")
    lines = _outbox_command("--limit", "3").splitlines()
    assert [line.split("  ", 2)[2] for line in lines] == ["消息 2", "消息 3", "消息 4"]
    assert "138****1111" in lines[1] and "13800001111" not in "".join(lines)

    mine = _outbox_command("--phone", "138 0000 1111").splitlines()
    assert [line.split("  ", 2)[1:] for line in mine] == [
        ["13800001111", "消息 1"],
        ["13800001111", "消息 3"],
    ]


def test_sms_outbox_when_empty_or_asked_wrongly(outbox):
    assert "没有" in _outbox_command()
    with pytest.raises(CommandError):
        _outbox_command("--phone", "123")
    with pytest.raises(CommandError):
        _outbox_command("--limit", "0")


def test_development_writes_to_the_outbox_and_the_test_suite_records(settings):
    import subprocess
    import sys

    assert settings.SMS_BACKEND == "mutualaid.platform.sms.RecordingSmsBackend"
    env = {k: v for k, v in os.environ.items() if k not in ("SMS_BACKEND", "MUTUALAID_ENV")}
    env.update(MUTUALAID_HOME=str(settings.HOME), DJANGO_SETTINGS_MODULE="mutualaid.project.settings")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SMS_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "mutualaid.platform.sms.FileSmsBackend", result.stderr
