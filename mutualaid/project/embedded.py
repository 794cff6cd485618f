"""Embedded defaults: a PostgreSQL server and secrets inside the data folder ($MUTUALAID_HOME).

With no environment set the platform needs no system services: pgserver ships PostgreSQL binaries in a wheel
and we keep its data under ``$MUTUALAID_HOME/pgdata``. The server is left running between commands so that the
web server, the worker and the CLI all share it; ``serve`` stops it on exit when it was the one to start it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import subprocess
from pathlib import Path

# Whether this process started the embedded server (``serve`` stops only a server it started).
started_here = False


def database_name() -> str:
    return os.environ.get("MUTUALAID_DATABASE_NAME", "mutualaid")


def home() -> Path:
    path = Path(os.environ.get("MUTUALAID_HOME", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def embedded_database_url() -> str:
    """Start (or reuse) the embedded PostgreSQL server and return a URL for the platform database."""
    if "XDG_RUNTIME_DIR" not in os.environ:  # quiets platformdirs on servers without a login session
        runtime = home() / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import pgserver  # imported lazily: production never loads it

    global started_here
    started_here = started_here or not (home() / "pgdata" / "postmaster.pid").exists()
    server = pgserver.get_server(home() / "pgdata", cleanup_mode=None)
    name = database_name()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    return server.get_uri(name)


def drop_embedded_database(name: str) -> None:
    """Drop a scratch database on the embedded server (benchmarks start from a clean one)."""
    import pgserver

    server = pgserver.get_server(home() / "pgdata", cleanup_mode=None)
    server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);')


def stop_embedded_database() -> None:
    """Stop the embedded server now, whoever else has used it (pgserver's own clean-up stops it only when the
    last process that ever opened it leaves, and a killed process never leaves)."""
    pgdata = home() / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import time

    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs the server as this user under root
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


def generated_secrets() -> dict[str, str]:
    """Secrets made on first run and kept in the data folder (never used in production)."""
    path = home() / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LOOKUP_HASH_KEY": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values
