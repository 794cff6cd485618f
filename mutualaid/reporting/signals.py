"""Changes that move a town's figures ask for a refresh of its rollup, after commit and coalesced.

The domain apps do not know about reporting: this module subscribes to their models' ``post_save`` (enrolments,
contributions and reversals, members, roster import jobs, villages, claims, their events and the objections to
them, ledger entries, payout batches). Within one transaction a town is scheduled once (the callback is looked up
in the connection's on-commit list, which a rollback empties); after commit the first request of a quiet town
inserts one ``RefreshRequest`` row and enqueues one task a minute later, and requests while that row exists do
nothing, so many changes in a minute make one refresh.

A published policy version enqueues its solvency simulation after commit (once per town, year and transaction), and
a town's own simulation of its published table is kept as the latest figure (``solvency.town_simulated``).
"""

from __future__ import annotations

from functools import partial

from django.db import connection, transaction
from django.db.models.signals import post_save

from mutualaid.claims.models import Claim, ClaimEvent
from mutualaid.disclosure.models import Objection
from mutualaid.enrolment.models import (
    Contribution,
    ContributionReversal,
    Enrolment,
    ImportJob,
    Member,
    Village,
)
from mutualaid.funds.models import JournalEntry
from mutualaid.payouts.models import PayoutBatch
from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.solvency import policy_simulated
from mutualaid.reporting import solvency, tasks
from mutualaid.reporting.models import RefreshRequest, SolvencySource

COALESCE_SECONDS = 60
# A roster import writes members by COPY (no signals): its job's saves stand for them.
WATCHED = (
    Enrolment,
    Contribution,
    ContributionReversal,
    Member,
    ImportJob,
    Village,
    Claim,
    ClaimEvent,
    Objection,
    JournalEntry,
    PayoutBatch,
)


def request_refresh(town_code: str) -> bool:
    """Ask for a refresh of the town's rollup; True when this request enqueued the task (the others coalesce)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RefreshRequest._meta.db_table} (town_code, requested_at) VALUES (%s, now()) "
            "ON CONFLICT (town_code) DO NOTHING RETURNING id",
            [town_code],
        )
        inserted = cursor.fetchone() is not None
    if inserted:
        tasks.refresh_town_rollup.apply_async(args=[town_code], countdown=COALESCE_SECONDS)
    return inserted


def _scheduled(town_code: str) -> bool:
    return any(getattr(item[1], "reporting_town", None) == town_code for item in connection.run_on_commit)


def town_changed(sender=None, **kwargs) -> None:
    tenant = getattr(connection, "tenant", None)
    code = getattr(tenant, "code", None)
    if not code or _scheduled(code):
        return
    callback = partial(request_refresh, code)
    callback.reporting_town = code  # type: ignore[attr-defined]
    # robust: a failure to enqueue is logged and never fails the change that committed (the nightly run catches up)
    transaction.on_commit(callback, robust=True)


def _simulation_scheduled(key: tuple[int, int]) -> bool:
    return any(getattr(item[1], "reporting_solvency", None) == key for item in connection.run_on_commit)


def enqueue_simulation(town_id: int, scheme_year: int) -> None:
    tasks.simulate_town_solvency.apply_async(args=[town_id, scheme_year, SolvencySource.PUBLISHED])


def policy_saved(sender=None, instance=None, **kwargs) -> None:
    """A published policy version (a new table in force): simulate it after commit, once per transaction."""
    if instance is None or instance.status != PolicyStatus.PUBLISHED:
        return
    town = solvency.current_town()
    if town is None:
        return
    key = (town.pk, instance.scheme_year.year)
    if _simulation_scheduled(key):
        return
    callback = partial(enqueue_simulation, *key)
    callback.reporting_solvency = key  # type: ignore[attr-defined]
    transaction.on_commit(callback, robust=True)


def connect() -> None:
    for model in WATCHED:
        post_save.connect(town_changed, sender=model, dispatch_uid=f"reporting.{model._meta.label}")
    post_save.connect(policy_saved, sender=PolicyVersion, dispatch_uid="reporting.policy_published")
    policy_simulated.connect(solvency.town_simulated, dispatch_uid="reporting.policy_simulated")
