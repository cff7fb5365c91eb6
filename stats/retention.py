"""Raw events are kept for STATS_RAW_RETENTION_DAYS; rollups stay for good."""

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from stats import storage
from stats.models import EarlyArrival, EventKey, RawEvent


def raw_events_prune(*, today: date | None = None) -> int:
    """Drop raw events older than the retention (whole months on PostgreSQL); returns partitions or rows dropped."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.STATS_RAW_RETENTION_DAYS)
    past_the_late_window = today - timedelta(days=settings.STATS_LATE_EVENT_DAYS + 2)
    EventKey.objects.filter(day__lt=past_the_late_window).delete()
    EarlyArrival.objects.filter(last_day__lt=past_the_late_window).delete()  # their share will not come now
    if not storage.is_postgresql():
        deleted, _ = RawEvent.objects.filter(day__lt=cutoff).delete()
        return deleted
    return _drop_partitions_before(cutoff)


def _drop_partitions_before(cutoff: date) -> int:
    """Drop every monthly partition whose whole month is older than `cutoff`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'stats_rawevent'"
        )
        names = [row[0] for row in cursor.fetchall()]
    dropped = 0
    for name in names:
        month = _month_of(name)
        if month is None:
            continue
        month_end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        if month_end <= cutoff:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE "{name}"')
            dropped += 1
    return dropped


def _month_of(partition: str) -> date | None:
    prefix = "stats_rawevent_y"
    if not partition.startswith(prefix):
        return None
    try:
        year, month = partition.removeprefix(prefix).split("m")
        return date(int(year), int(month), 1)
    except ValueError:
        return None
