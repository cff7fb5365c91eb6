"""Raw events are dropped after the retention (whole monthly partitions on PostgreSQL); rollups stay."""

from datetime import date, timedelta

import pytest
from django.db import connection

from stats import storage
from stats.models import DailyStats, EventKey, RawEvent
from stats.retention import raw_events_prune
from stats.tests.conftest import event


def _partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'stats_rawevent' ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def test_old_raw_events_go_and_rollups_stay(program, post, at, settings):
    post([event("old", "visit", "u1", at(6)), event("new", "visit", "u2", at(0))])
    visits = DailyStats.objects.filter(program=program).count()
    settings.STATS_RAW_RETENTION_DAYS = 3
    today = date.today()
    raw_events_prune(today=today + timedelta(days=40) if storage.is_postgresql() else today)
    if storage.is_postgresql():
        # Whole months only: both events sit in months that ended before the cutoff 37 days on.
        assert RawEvent.objects.count() == 0
    else:
        assert list(RawEvent.objects.values_list("event_key", flat=True)) == ["weibo:new"]
    assert DailyStats.objects.filter(program=program).count() == visits


def test_event_keys_outlive_the_late_window_and_no_longer(program, post, at, settings):
    post([event("e", "visit", "u1", at(0))])
    raw_events_prune(today=date.today() + timedelta(days=settings.STATS_LATE_EVENT_DAYS + 1))
    assert EventKey.objects.count() == 1  # a retry inside the late window must still be recognised
    raw_events_prune(today=date.today() + timedelta(days=settings.STATS_LATE_EVENT_DAYS + 3))
    assert EventKey.objects.count() == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_raw_events_land_in_monthly_partitions_and_old_months_are_dropped(program, post, at, settings):
    post([event("e", "visit", "u1", at(0))])
    this_month = date.today().replace(day=1)
    assert storage.partition_name(this_month) in _partitions()
    storage.ensure_month_partitions({date(2020, 1, 15)})
    assert "stats_rawevent_y2020m01" in _partitions()
    settings.STATS_RAW_RETENTION_DAYS = 90
    assert raw_events_prune() >= 1
    assert "stats_rawevent_y2020m01" not in _partitions()
    assert storage.partition_name(this_month) in _partitions()
