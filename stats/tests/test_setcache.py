"""Readings keep the bitmaps they read (stats.setcache) and fetch again only the sets a write changed."""

from datetime import date, datetime, timedelta

import pytest

from stats import bitmaps
from stats.models import UserSet
from stats.selectors import StatsQuery, program_stats, program_totals
from stats.setcache import SetCache, set_cache
from stats.tests.conftest import SHANGHAI, event


def _query(days: int = 7) -> StatsQuery:
    today = datetime.now(SHANGHAI).date()
    return StatsQuery(start=today - timedelta(days=days - 1), end=today)


@pytest.fixture
def bitmaps_read(monkeypatch):
    """How many bitmaps readings turned into integers, i.e. received from the database."""
    calls = []
    real = bitmaps.as_int
    monkeypatch.setattr(bitmaps, "as_int", lambda bits: calls.append(bits) or real(bits))
    return calls


def test_a_second_reading_receives_no_bits_and_a_drain_sends_only_what_it_changed(program, post, at, bitmaps_read):
    post([event("e1", "visit", "u1", at(2)), event("e2", "visit", "u2", at(0))])
    assert program_totals(program, _query())["unique_visitors"] == 2
    first = len(bitmaps_read)
    assert first > 0

    assert program_totals(program, _query())["unique_visitors"] == 2
    assert len(bitmaps_read) == first  # everything held at its revision

    post([event("e3", "visit", "u3", at(0))])  # today's sets change, the one of two days ago does not
    assert program_totals(program, _query())["unique_visitors"] == 3
    # Totals read the sets of every host: of those, only today's visitors changed.
    assert len(bitmaps_read) == first + 1


def test_every_number_matches_a_reading_with_nothing_kept(program, post, at):
    post([event(f"v{i}", "visit", f"u{i % 5}", at(i % 4)) for i in range(20)]
         + [event("n1", "new_user", "u9", at(1)), event("s1", "share", "u1", at(0), share_id="sh1")])
    warm_up = program_stats(program, _query())
    post([event("late", "visit", "u7", at(1)), event("n2", "new_user", "u7", at(1))])
    kept = program_stats(program, _query())
    set_cache.clear()
    assert kept == program_stats(program, _query())
    assert kept != warm_up


def test_a_row_rewritten_under_a_reused_id_is_read_again(program, post, at):
    """After a reset a new row may take a kept row's id; its random first revision does not match."""
    post([event("e1", "visit", "u1", at(0))])
    assert program_totals(program, _query())["unique_visitors"] == 1
    stored = UserSet.objects.get(program=program, host="", scene="", kind="active")
    UserSet.objects.filter(pk=stored.pk).delete()
    bits, count = bitmaps.with_bits(b"", [0, 1, 2])
    UserSet.objects.create(pk=stored.pk, program=program, host="", scene="", day=stored.day, kind="active",
                           bits=bits, count=count)
    assert program_totals(program, _query())["unique_visitors"] == 3


def test_the_cache_drops_the_least_recently_read_programs_beyond_its_limit(settings):
    settings.STATS_SET_CACHE_BYTES = 3000
    cache, day = SetCache(), date(2026, 11, 30)
    big = (1 << 8000) - 1  # 1,000 bytes
    cache.keep(1, [(10, 1, day, big)])
    cache.keep(2, [(20, 1, day, big)])
    cache.held(1, day, day)  # program 1 read again: program 2 is now the oldest
    cache.keep(3, [(30, 1, day, big), (31, 1, day, big)])
    assert cache.held(2, day, day) == {}
    assert cache.held(1, day, day) == {10: (1, big)}
    assert cache.held(3, day, day) == {30: (1, big), 31: (1, big)}
    assert cache.size == 3000
    assert cache.held(3, day + timedelta(days=1), day + timedelta(days=2)) == {}  # only the days asked


def test_a_replaced_set_takes_the_place_of_the_kept_one(settings):
    cache, day = SetCache(), date(2026, 11, 30)
    cache.keep(1, [(10, 1, day, 0b1)])
    cache.keep(1, [(10, 2, day, 0b11)])
    assert cache.held(1, day, day) == {10: (2, 0b11)}
    assert cache.size == 1


def test_a_database_that_takes_few_parameters_gets_only_as_many_held_sets(program, post, at, monkeypatch,
                                                                         bitmaps_read):
    from django.db import connection

    post([event(f"e{day}", "visit", f"u{day}", at(day)) for day in range(6)])
    assert program_totals(program, _query())["unique_visitors"] == 6
    first = len(bitmaps_read)
    monkeypatch.setattr(connection.features, "max_query_params", 100 + 2 * 2)  # room for two held sets
    assert program_totals(program, _query())["unique_visitors"] == 6
    assert len(bitmaps_read) == first + first - 2  # all but two sent again
