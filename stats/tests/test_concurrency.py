"""Drains at once: the same batch twice (a retried task racing its first run), a new month's first batches,
and readings that keep bitmaps while drains rewrite them. Every event counts once; nothing is lost or stale."""

from datetime import datetime, timedelta

import pytest
from django.db import connection

from programs.tests.concurrency import postgresql_only, race_with  # noqa: F401  (fixture)
from stats import storage
from stats.drain import events_store
from stats.events import validate_batch
from stats.ingest import ingest_context
from stats.models import DailyStats, RawEvent, Share, StatsUser
from stats.selectors import StatsQuery, program_stats
from stats.setcache import set_cache
from stats.tests.conftest import SHANGHAI, event

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("postgresql_only")]


def test_one_batch_drained_twice_at_once_counts_once(program, weibo, at):
    raw = [event(f"e{i}", "visit", f"u{i % 7}", at(0)) for i in range(40)]
    raw += [event("s1", "share", "u1", at(0), share_id="S1"), event("s2", "share", "u2", at(0), share_id="S2",
                                                                       parent_share_id="S1")]
    accepted = validate_batch(raw, ingest_context(weibo, raw)).accepted

    outcomes = race_with(*[(lambda: None, lambda _: events_store(accepted))] * 3)

    assert sorted(outcomes) == [0, 0, 42]  # one drain stored everything, the others found it stored
    row = DailyStats.objects.get(program=program)
    assert (row.visits, row.shares, row.unique_visitors) == (40, 2, 7)
    assert RawEvent.objects.count() == 42
    assert StatsUser.objects.filter(program=program).count() == 7
    assert dict(Share.objects.values_list("share_id", "depth")) == {"weibo:S1": 1, "weibo:S2": 2}


def test_two_batches_with_the_same_new_users_at_once_number_each_user_once(program, weibo, at):
    """Both drains meet the same new users: one numbers them, the other finds them (the program's row lock)."""
    first = [event(f"a{i}", "visit", f"u{i}", at(0)) for i in range(30)]
    second = [event(f"b{i}", "visit", f"u{i}", at(0)) for i in range(30)]
    batches = [validate_batch(raw, ingest_context(weibo, raw)).accepted for raw in (first, second)]

    outcomes = race_with(*[(lambda: None, lambda _, b=b: events_store(b)) for b in batches])

    assert outcomes == [30, 30]
    assert sorted(StatsUser.objects.filter(program=program).values_list("ordinal", flat=True)) == list(range(30))
    row = DailyStats.objects.get(program=program)
    assert (row.visits, row.unique_visitors) == (60, 30)


def test_drains_racing_into_a_month_without_its_partition_all_store(program, weibo, at):
    """The first drains of a month race to create its partition: one creates it, none fails (they did)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {storage.partition_name(datetime.now(SHANGHAI).date().replace(day=1))}")
    batches = [[event(f"{b}-{i}", "visit", f"u{b}-{i}", at(0)) for i in range(10)] for b in range(4)]
    batches = [validate_batch(raw, ingest_context(weibo, raw)).accepted for raw in batches]

    outcomes = race_with(*[(lambda: None, lambda _, b=b: events_store(b)) for b in batches])

    assert outcomes == [10, 10, 10, 10]
    assert RawEvent.objects.count() == 40


def test_drains_at_once_with_the_same_facts_under_new_event_ids_count_each_fact_once(program, weibo, at):
    """Each drain reads which facts are counted already with the batch's programs locked, so two at once
    cannot both count one share id or one person's being new."""
    batches = [[event(f"{b}-n", "new_user", "u1", at(0)), event(f"{b}-s", "share", "u2", at(0), share_id="S1")]
               for b in range(4)]
    batches = [validate_batch(raw, ingest_context(weibo, raw)).accepted for raw in batches]

    outcomes = race_with(*[(lambda: None, lambda _, b=b: events_store(b)) for b in batches])

    assert outcomes == [2, 2, 2, 2]
    row = DailyStats.objects.get(program=program)
    assert (row.new_users, row.shares, row.share_users) == (1, 1, 1)
    assert RawEvent.objects.count() == 8
    assert Share.objects.count() == 1


def test_readings_racing_drains_keep_no_stale_bitmap(program, weibo, at):
    """Readings that keep bitmaps (stats.setcache) while drains rewrite the same sets: once the drains are
    done, a reading with the kept bitmaps gives what a reading with nothing kept gives."""
    today = datetime.now(SHANGHAI).date()
    query = StatsQuery(start=today - timedelta(days=6), end=today)
    batches = [[event(f"{b}-{i}", "visit", f"u{b}-{i}", at(i % 3)) for i in range(25)] for b in range(4)]
    batches = [validate_batch(raw, ingest_context(weibo, raw)).accepted for raw in batches]
    drains = [(lambda: None, lambda _, b=b: events_store(b)) for b in batches]
    readings = [(lambda: None, lambda _: [program_stats(program, query) for _ in range(5)])] * 4

    outcomes = race_with(*drains, *readings)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    kept = program_stats(program, query)
    set_cache.clear()
    assert kept == program_stats(program, query)
    assert kept["totals"]["unique_visitors"] == 100


def test_gate_rollups_racing_each_other_and_the_gate_count_every_answer_once(db, monkeypatch):
    """Three beat runs at once (a slow run overlapping the next ones) while the gate records more answers:
    they take the same batches at times, and each batch is counted once (its token), none is lost."""
    from distribution.gate import ANSWERS_LOG
    from hosts.runtime import host_store
    from stats import gate_rollup
    from stats.models import GateDaily
    from stats.tasks import rollup_gate_answers

    monkeypatch.setattr(gate_rollup, "BATCH", 40)
    host_store().clear()

    def record(n: int, first: int = 0) -> int:
        for i in range(first, first + n):
            host_store().attempt(limits=[], refuse=None, allow_reason="allowed", log=ANSWERS_LOG, log_max=10_000,
                                 record={"time": datetime.now(SHANGHAI).isoformat(), "host": "weibo",
                                         "scene": "weibo.feed", "appid": "2026000000000001", "user": f"u{i}"},
                                 nonce=None, nonce_ttl=300, now=float(i))
        return n

    def keep_rolling_up(_):
        return sum(rollup_gate_answers(max_batches=3) for _ in range(6))

    record(600)
    outcomes = race_with(*[(lambda: None, keep_rolling_up)] * 3, (lambda: None, lambda _: record(300, first=600)))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    rest = rollup_gate_answers(max_batches=100)

    assert sum(outcomes[:3]) + rest == 900
    assert sum(GateDaily.objects.values_list("count", flat=True)) == 900
    assert host_store().take(ANSWERS_LOG, 10) == ("", [])
