"""The README's two commands on a fresh clone, in either order, and stopping `serve` by a signal.

Slow (each clone builds its own .venv and embedded PostgreSQL); part of CI. The clone holds what is committed.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# A test that uses the database: ./test must have installed pytest and started the embedded server.
QUICK_TEST = "tests/project/test_addresses_and_assets.py"

pytestmark = pytest.mark.slow


def _environment(clone: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MUTUALAID_", "DJANGO_", "PYTEST_", "VIRTUAL_ENV", "TEST_DATABASE"))
    }
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if "/.venv/" not in p)
    env["XDG_RUNTIME_DIR"] = str(clone / "var" / "run")
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes_under(clone: Path) -> list[str]:
    """Command lines of running processes started from the clone (its Python or its PostgreSQL)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(
                line for line in (entry / "status").read_text().splitlines() if line.startswith("State")
            )
        except (OSError, StopIteration):
            continue
        if str(clone) in command and "zombie" not in state:
            found.append(command)
    return found


def _serve_then_stop(clone: Path, env: dict[str, str]) -> None:
    port = _free_port()
    serve = subprocess.Popen(
        ["./serve", "--no-demo", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            assert serve.poll() is None, serve.stdout.read() if serve.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer within 10 minutes"
                time.sleep(1)
        assert (clone / "var" / "pgdata" / "postmaster.pid").exists()
        assert any(" worker" in command for command in _processes_under(clone))
        # When serve is stopped by SIGTERM (not Ctrl+C)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    finally:
        if serve.poll() is None:
            serve.kill()
    # Then nothing it started is left: no worker, no PostgreSQL
    deadline = time.monotonic() + 30
    while _processes_under(clone) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_under(clone) == []
    assert not (clone / "var" / "pgdata" / "postmaster.pid").exists()


def _test(clone: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["./test", QUICK_TEST, "-q", "-p", "no:randomly"],
        cwd=clone,
        env=env | {"TEST_DATABASE_NAME": "test_fresh_clone"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "passed" in result.stdout


def _stop_database(clone: Path, env: dict[str, str]) -> None:
    if (clone / ".venv" / "bin" / "python").exists():
        subprocess.run(
            [
                ".venv/bin/python",
                "-c",
                "from mutualaid.project.embedded import stop_embedded_database; stop_embedded_database()",
            ],
            cwd=clone,
            env=env | {"MUTUALAID_HOME": str(clone / "var")},
            timeout=120,
        )


@pytest.fixture
def clone_parent():
    """A folder others may enter: as root, the embedded PostgreSQL runs as its own user and must reach the
    clone's binaries (pytest's tmp_path is private to root)."""
    parent = Path(tempfile.mkdtemp(prefix="mutualaid-clone-"))
    parent.chmod(0o755)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.parametrize("order", ["serve-then-test", "test-then-serve"])
def test_the_readme_commands_work_in_either_order_on_a_fresh_clone(clone_parent, order):
    # Given a fresh clone with no .venv, no node_modules and no data
    clone = clone_parent / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    env = _environment(clone)
    (clone / "var" / "run").mkdir(parents=True, mode=0o700)
    try:
        # When the two README commands run in this order, each works
        if order == "serve-then-test":
            _serve_then_stop(clone, env)
            _test(clone, env)
        else:
            _test(clone, env)
            _stop_database(clone, env)
            _serve_then_stop(clone, env)
    finally:
        _stop_database(clone, env)
