"""The production-like stack (deploy/local-stack), started once for the stack tests: PostgreSQL behind PgBouncer
(session mode), Redis, gunicorn, two Celery workers and beat, MUTUALAID_ENV=production; web, workers and beat
read their clock from a file (libfaketime, offset 0 until the smoke suite's payout step moves it a month on). The tests talk to it over
HTTP only. Skipped, with the reason, only when the Debian packages cannot be installed."""

from __future__ import annotations

import pytest

from tests.stack.harness import StackUnavailable, login, start_stack


@pytest.fixture(scope="session")
def stack():
    try:
        running = start_stack(clock=True)  # the smoke suite moves it to next month's payout batch
    except StackUnavailable as exc:
        pytest.skip(
            f"the local stack needs Debian's postgresql, pgbouncer, redis-server and libfaketime: {exc}"
        )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def haian(stack):
    """海安市乡村振兴局 (county bureau), signed in with a bearer token."""
    return login(stack.url, "stack_haian", stack.info["logins"]["password"])


@pytest.fixture(scope="session")
def tongnan(stack):
    return login(stack.url, "stack_tongnan", stack.info["logins"]["password"])
