"""Real concurrent transactions for race tests: threads with their own connections, released together.

Needs PostgreSQL: SQLite takes a write lock at the start of every transaction (transaction_mode
IMMEDIATE), so two writers can never overlap there.
"""

import threading

import pytest
from django.db import connection

from programs.models import Version

POSTGRESQL_ONLY_REASON = "needs PostgreSQL (set DATABASE_URL): SQLite serialises write transactions, so nothing races"


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(POSTGRESQL_ONLY_REASON)


def race(*calls, expect_status: str | None = None) -> list:
    """Run each `(action, version_id)` in its own thread and connection; return each outcome or exception.

    Every thread loads its own copy of the version and waits at a barrier, so all of them write with
    the same, soon stale, picture. `expect_status` asserts that picture.
    """

    def prepare(version_id):
        snapshot = Version.objects.select_related("program__organisation").get(pk=version_id)
        if expect_status is not None:
            assert snapshot.status == expect_status
        return snapshot

    return race_with(*[(lambda vid=vid: prepare(vid), action) for action, vid in calls])


def race_with(*calls) -> list:
    """Run each `(prepare, action)` in its own thread and connection: every thread runs its `prepare()`,
    all wait at one barrier, then each runs `action(prepared)`. Returns each outcome or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, prepare, action):
        try:
            prepared = prepare()
            barrier.wait(timeout=10)
            results[index] = action(prepared)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, prepare, action)) for i, (prepare, action) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
