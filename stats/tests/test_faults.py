"""Faults found by attacking the ingest: events that are accepted and then never counted."""

import time
from datetime import datetime, timedelta

import pytest

from stats.models import RawEvent, Share, ShareChain
from stats.selectors import StatsQuery, program_stats
from stats.tests.conftest import SHANGHAI, event


def _week() -> StatsQuery:
    today = datetime.now(SHANGHAI).date()
    return StatsQuery(start=today - timedelta(days=6), end=today)


def test_opens_and_new_users_drained_before_their_share_still_count_on_its_chain(program, post, at):
    """A share's opens and the new users it brought may be drained before the share itself (a host's late
    batch, a retried task, two workers): they are stored, and must count on the share and its chain too."""
    post([event("o1", "share_open", "x", at(0), share_id="S2"),
          event("n1", "new_user", "x", at(0), share_id="S2")])
    post([event("s1", "share", "a", at(0), share_id="S1"),
          event("s2", "share", "b", at(0), share_id="S2", parent_share_id="S1")])

    assert RawEvent.objects.filter(share_id="S2").count() == 3
    assert Share.objects.values_list("opens", "new_users").get(share_id="weibo:S2") == (1, 1)
    chain = ShareChain.objects.get(root_share_id="weibo:S1")
    assert (chain.size, chain.opens, chain.new_users) == (2, 1, 1)
    top = program_stats(program, _week())["fission"]["top_chains"][0]
    assert (top["shares"], top["opens"], top["new_users"]) == (2, 1, 1)


def test_a_batch_whose_drain_could_not_be_queued_is_answered_and_stored_by_the_next_drain(program, post, at,
                                                                                          monkeypatch):
    """The broker is down when the request asks for a drain. The batch is kept in the host runtime store
    already, so the host is answered (not a 500 that would make it resend) and beat's next drain stores it.
    Before, the ids were claimed and the enqueue failed: the host's retry was answered `duplicates`, and
    the batch was never stored."""
    from kombu.exceptions import OperationalError

    from stats.tasks import drain_event_batches

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(drain_event_batches, "delay", broker_down)
    answer = post([event(f"e{i}", "visit", f"u{i}", at(0)) for i in range(5)])
    assert answer["accepted"] == 5 and RawEvent.objects.count() == 0
    monkeypatch.undo()

    assert drain_event_batches() == 5  # beat's next run
    assert RawEvent.objects.count() == 5


def test_a_batch_whose_drain_message_was_lost_is_stored_by_the_scheduled_drain(program, post, at, monkeypatch):
    """Found by SIGKILLing workers on the Redis broker: kombu takes a message off its queue before it records
    it as unacknowledged, and a kill between the two lost it. Each accepted batch was such a message, and 4
    of 23 kills lost one for good, answered `accepted: 1000`. Now a message only nudges the drain."""
    from stats.tasks import drain_event_batches

    monkeypatch.setattr(drain_event_batches, "delay", lambda *args, **kwargs: None)  # the nudge is lost
    post([event(f"e{i}", "visit", f"u{i}", at(0)) for i in range(3)])
    post([event(f"f{i}", "visit", f"u{i}", at(0)) for i in range(2)])
    assert RawEvent.objects.count() == 0

    assert drain_event_batches() == 5
    assert drain_event_batches() == 0  # nothing left
    assert RawEvent.objects.count() == 5


def test_a_drain_stopped_before_it_let_go_of_its_batches_stores_them_once(program, post, at, monkeypatch):
    """Killed (or failed) after its transaction committed and before it marked the batches done: the next
    drain takes the same batches again, and `EventKey` counts each event once."""
    from hosts.runtime import host_store
    from stats.models import DailyStats
    from stats.tasks import DRAIN_LEASE_SECONDS, EVENT_BATCHES, drain_event_batches

    monkeypatch.setattr(drain_event_batches, "delay", lambda *args, **kwargs: None)
    post([event(f"e{i}", "visit", f"u{i}", at(0)) for i in range(4)])
    store = type(host_store())
    done = store.done

    def killed(self, log, token):
        raise SystemExit("worker killed")

    monkeypatch.setattr(store, "done", killed)
    with pytest.raises(SystemExit):
        drain_event_batches()
    monkeypatch.setattr(store, "done", done)
    assert RawEvent.objects.count() == 4

    assert drain_event_batches() == 0  # within the lease: the batch is the stopped run's still
    later = time.time() + DRAIN_LEASE_SECONDS + 1
    monkeypatch.setattr("stats.tasks.time.time", lambda: later)
    assert drain_event_batches() == 0  # taken over: its events are stored already, and count once
    assert RawEvent.objects.count() == 4
    assert sum(DailyStats.objects.values_list("visits", flat=True)) == 4
    assert host_store().take(EVENT_BATCHES, 10) == ("", []), "the batch is let go of at last"


@pytest.mark.parametrize("error", ["OperationalError", "AdminShutdown"])
def test_a_drain_whose_connection_drops_inside_the_pipeline_is_tried_again(program, at, weibo, monkeypatch, error):
    """On PostgreSQL the drain sends its statements in psycopg's pipeline mode; a connection dropped there
    (pg_terminate_backend, a failover) surfaces when the pipeline is left, as psycopg's own exception, which
    Django does not wrap: `psycopg.OperationalError: consuming input failed: server closed the connection
    unexpectedly`, or `psycopg.errors.AdminShutdown`. The task must try the batch again, as it does for
    django.db.OperationalError; it fails it instead, and the batch is lost."""
    import json

    import psycopg

    from stats import storage
    from stats.events import events_message, validate_batch
    from stats.ingest import ingest_context
    from stats.tasks import store_events

    raw = [event("e1", "visit", "u1", at(0)), event("e2", "visit", "u2", at(0))]
    message = json.loads(json.dumps(events_message(validate_batch(raw, ingest_context(weibo, raw)).accepted)))
    real_stage, calls = storage.stage_events, []
    exc = getattr(psycopg.errors, error, None) or getattr(psycopg, error)

    def stage_dropped_once(rows):
        calls.append(1)
        if len(calls) == 1:
            raise exc("consuming input failed: server closed the connection unexpectedly")
        return real_stage(rows)

    monkeypatch.setattr(storage, "stage_events", stage_dropped_once)
    result = store_events.apply(args=[message], throw=False)
    assert result.successful(), f"the batch was dropped: {result.result!r}"
    assert RawEvent.objects.count() == 2


def test_a_run_that_stops_for_time_queues_the_next_one_so_no_batch_waits_for_beat(program, post, at, monkeypatch):
    """Nudges that arrive while a run is at work find the batches taken and end at once: a run that stopped with
    batches left (the benchmark's backlog) left them for beat, 10 s later, or for ever where beat was not running."""
    from stats import tasks

    # The ingest's own nudges are lost: only the runs' hand-over drains.
    monkeypatch.setattr(tasks.drain_event_batches, "delay", lambda *args, **kwargs: None)
    for n in range(25):  # three takes of ten batches at most
        post([event(f"b{n}-{i}", "visit", f"u{i}", at(0)) for i in range(2)])
    monkeypatch.undo()
    monkeypatch.setattr(tasks, "DRAIN_RUN_SECONDS", -1)  # every run stops after one take and hands over

    tasks.drain_event_batches()

    assert RawEvent.objects.count() == 50
