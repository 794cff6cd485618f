import os
import subprocess
import sys

from mutualaid.platform.logmask import mask_text
from mutualaid.project.dburl import parse_database_url


def test_production_refuses_to_start_without_explicit_secrets(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL")
    }
    env.update(
        MUTUALAID_ENV="production",
        MUTUALAID_HOME=str(tmp_path),
        DJANGO_SETTINGS_MODULE="mutualaid.project.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "must be set when MUTUALAID_ENV=production" in result.stderr
    assert not (tmp_path / "secrets.json").exists()


def test_database_url_with_socket_host_and_port():
    db = parse_database_url("postgresql://app:s%40cret@db.internal:6432/mutualaid?sslmode=require", "engine")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "app",
        "s@cret",
        "db.internal",
        "6432",
        "mutualaid",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}
    socket = parse_database_url("postgresql://postgres:@/mutualaid?host=/var/run/pg", "engine")
    assert socket["HOST"] == "/var/run/pg" and socket["OPTIONS"] == {}


def test_logs_never_show_id_or_phone_numbers():
    text = mask_text("member 320685199001011234 phone 13912345678 fee 4500")
    assert "320685199001011234" not in text and "13912345678" not in text
    assert "4500" in text
