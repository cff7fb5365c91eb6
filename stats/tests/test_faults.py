"""Faults found by attacking the ingest: events that are accepted and then never counted."""

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
    assert Share.objects.values_list("opens", "new_users").get(share_id="S2") == (1, 1)
    chain = ShareChain.objects.get(root_share_id="S1")
    assert (chain.size, chain.opens, chain.new_users) == (2, 1, 1)
    top = program_stats(program, _week())["fission"]["top_chains"][0]
    assert (top["shares"], top["opens"], top["new_users"]) == (2, 1, 1)


def test_a_batch_whose_enqueue_failed_is_stored_when_the_host_retries(program, post, at, settings, monkeypatch):
    """With Redis, the request claims each event id before it enqueues the drain. When the enqueue fails
    (the broker is down: the host gets a 500), the ids stay claimed: the host's retry is answered
    `duplicates` and nothing is enqueued, so the batch is never stored."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    from kombu.exceptions import OperationalError

    from stats.tasks import store_events

    batch = [event(f"e{i}", "visit", f"u{i}", at(0)) for i in range(5)]
    real_delay, calls = store_events.delay, []

    def broker_down_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("[Errno 111] Connection refused")
        return real_delay(*args, **kwargs)

    monkeypatch.setattr(store_events, "delay", broker_down_once)
    with pytest.raises(OperationalError):  # the host is answered 500
        post(batch)

    again = post(batch)  # the host retries, re-signed, with the same ids

    assert RawEvent.objects.count() == 5, f"retry answered {again}"


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
