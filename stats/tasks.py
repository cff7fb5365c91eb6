"""Celery tasks of the stats: store ingested batches, prune old raw events."""

import logging
import time

import psycopg
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from hosts.runtime import host_store
from stats.drain import events_store
from stats.events import events_from_message

# A dropped connection, a deadlock or a serialisation failure rolls the whole batch back; the batch is
# idempotent (`EventKey`), so trying it again is safe, and not trying would lose it. The drain's pipeline
# (stats.drain._pipelined) raises psycopg's own errors, which Django does not wrap: a connection killed
# there was not retried, and its batch was lost.
RETRIED = (OSError, OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
# Tries, at most TASK_RETRY_WAIT_MAX_SECONDS (ten minutes) apart, with jitter: a database away for a few
# hours loses no batch. Eight tries were spent in three minutes.
STORE_RETRIES = 48


logger = logging.getLogger(__name__)

# The host runtime store's log where the ingest keeps each accepted batch until a drain has stored it.
EVENT_BATCHES = "event-batches"
# Batches a drain stores in one transaction (1,000 events each at most).
BATCHES_PER_DRAIN = 10
# A run goes on until nothing is left to take, or this long (then it queues the next run): well inside the
# task's time limit. Nudges that arrive meanwhile find the batches taken and end at once, so a run must not
# stop while batches wait, or they would wait for beat.
DRAIN_RUN_SECONDS = 60
# While one run stores the batches it took, other runs find nothing to take for this long (they would store the
# same batches, and find them stored), then take them over: a run killed mid-way delays its batches this much.
# A transaction of ten batches takes well under a second; a slower one only means two runs do the same work once.
DRAIN_LEASE_SECONDS = 30


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=150,
             autoretry_for=RETRIED, retry_backoff=True,
             retry_backoff_max=settings.TASK_RETRY_WAIT_MAX_SECONDS, max_retries=STORE_RETRIES)
def drain_event_batches() -> int:
    """Store the batches the ingest kept (`EVENT_BATCHES`), oldest first; returns how many events were new.

    The batches wait in the host runtime store, not in Celery messages: kombu's Redis transport takes a
    message off its queue before it records it as unacknowledged, and a worker killed between the two
    lost an accepted batch for good (4 of 23 SIGKILLs). A message of this task is only a nudge: the
    ingest sends one per batch and beat one every few seconds, and losing any of them loses nothing.

    A batch stays taken until its events are stored: a run killed or failed in between (its database
    away) leaves it there, and a run after `DRAIN_LEASE_SECONDS` stores it again, idempotently (`EventKey`).
    Runs meanwhile find nothing to take: two at once stored the same batches (the second found them stored),
    which cost a fifth of the throughput with two worker processes.
    """
    store, new, started = host_store(), 0, time.monotonic()
    while True:
        token, messages = store.take(EVENT_BATCHES, BATCHES_PER_DRAIN, lease=DRAIN_LEASE_SECONDS, now=time.time())
        if not token:  # nothing left, or another run at work (which goes on until nothing is left)
            return new
        new += events_store([event for message in messages for event in events_from_message(message)])
        store.done(EVENT_BATCHES, token)
        if time.monotonic() - started > DRAIN_RUN_SECONDS:  # a backlog: the next run goes on, well inside its limit
            drain_soon()
            return new


def drain_soon() -> None:
    """Ask a worker to drain now. The batches are kept already: with the broker down, beat's next run drains
    them once it is back (a host is answered 202 rather than a 500 that would make it resend)."""
    try:
        drain_event_batches.delay()
    except Exception:  # noqa: BLE001 - any broker failure; the batches are safe in the host runtime store
        logger.warning("Could not queue the events drain; the batches wait for the next scheduled drain.",
                       exc_info=True)


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=150,
             autoretry_for=RETRIED, retry_backoff=True,
             retry_backoff_max=settings.TASK_RETRY_WAIT_MAX_SECONDS, max_retries=STORE_RETRIES)
def store_events(message: dict | list) -> int:
    """A batch queued as a Celery message, before the ingest kept batches in the host runtime store (messages
    still queued at an upgrade). Idempotent: events already stored are skipped by `EventKey`."""
    return events_store(events_from_message(message))


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def prune_raw_events() -> int:
    from stats.retention import raw_events_prune

    return raw_events_prune()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60, autoretry_for=RETRIED, retry_backoff=True,
             max_retries=3)
def rollup_gate_answers(max_batches: int = 20) -> int:
    """Take the share gate's recorded answers (oldest first) and add them to GateDaily, each batch once.

    A run that stops anywhere loses nothing: a batch stays taken until it is counted, and its token is
    stored with the counts, so the next run counts it if it was not and skips it if it was.
    """
    from distribution.gate import gate_answers_done, gate_answers_take
    from stats.gate_rollup import BATCH, gate_batch_store, gate_batch_tokens_prune

    stored = 0
    for _ in range(max_batches):
        token, answers = gate_answers_take(BATCH)
        if not token:
            break
        stored += gate_batch_store(token, answers)
        gate_answers_done(token)
    gate_batch_tokens_prune()
    return stored
