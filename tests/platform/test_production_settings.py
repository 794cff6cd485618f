"""Production settings (issue 22, item 12): DEBUG and a weak SECRET_KEY are refused at start; HSTS, secure
cookies and the SSL redirect are on by default and come from the environment; ``manage.py check --deploy`` is
clean with production-like variables. Each case starts a fresh interpreter: settings are read once per process."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(50)
_OURS = (
    "MUTUALAID_",
    "DATABASE_",
    "CELERY_",
    "SECURE_",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "LOOKUP_HASH_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_SETTINGS_MODULE",
)


def _production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env.update(
        MUTUALAID_ENV="production",
        MUTUALAID_HOME=str(tmp_path),
        DJANGO_SETTINGS_MODULE="mutualaid.project.settings",
        DATABASE_URL="postgresql://mutualaid:pw@db.internal:5432/mutualaid",
        CELERY_BROKER_URL="redis://redis.internal:6379/0",
        SECRET_KEY=STRONG_KEY,
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        LOOKUP_HASH_KEY=secrets.token_urlsafe(32),
        MUTUALAID_BASE_DOMAIN="huzhu.example.cn",
        ALLOWED_HOSTS="huzhu.example.cn,.huzhu.example.cn",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


SHOW = (
    "-c",
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)",
)


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = _run(_production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_transport_security_is_on_by_default_in_production(tmp_path):
    result = _run(_production_env(tmp_path), *SHOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "31536000", "True", "True", "True", "None"]


def test_transport_security_comes_from_the_environment(tmp_path):
    env = _production_env(
        tmp_path,
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_COOKIES="0",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
    )
    result = _run(env, *SHOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:6] == ["False", "False", "600", "False", "False", "False"]
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout


def test_development_keeps_plain_http(tmp_path):
    env = _production_env(tmp_path, MUTUALAID_ENV="development")
    result = _run(env, *SHOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:6] == ["True", "False", "0", "False", "False", "False"]


def test_production_refuses_debug(tmp_path):
    result = _run(_production_env(tmp_path, DEBUG="1"), *SHOW)
    assert result.returncode != 0
    assert "DEBUG must be off when MUTUALAID_ENV=production" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "short-key",
        "change-me",
        "django-insecure-" + "x" * 60,
        "a" * 64,  # long, but one character
        secrets.token_urlsafe(20),
    ],
)
def test_production_refuses_a_short_or_default_secret_key(tmp_path, key):
    result = _run(_production_env(tmp_path, SECRET_KEY=key), *SHOW)
    assert result.returncode != 0
    assert "SECRET_KEY is not fit for production" in result.stderr
    assert key not in result.stderr  # the key itself is never printed
