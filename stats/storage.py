"""The few writes where the database's own bulk paths matter: PostgreSQL COPY and upserts.

Each function takes normalised events (see `stats.events`) or aggregated rows and works on
PostgreSQL and SQLite alike, choosing the fast path of each.
"""

from datetime import date

from django.db import connection

RAW_COLUMNS = (
    "event_key", "host", "scene", "program_id", "type", "user_hash", "occurred_at", "day", "page",
    "page_views", "stay_seconds", "share_id", "parent_share_id", "amount", "received_at",
)
DAILY_COUNTERS = (
    "visits", "page_views", "stay_seconds", "new_users", "new_users_via_share", "shares", "share_opens",
    "payments", "revenue_fen",
)
SQLITE_ROWS_PER_STATEMENT = 400


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _chunks(rows: list, size: int):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def insert_new_event_keys(keys: list[tuple[str, str]]) -> set[str]:
    """Record (event_key, day) pairs; return the keys that were not recorded before."""
    if not keys:
        return set()
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "INSERT INTO stats_eventkey (event_key, day) SELECT * FROM unnest(%s::varchar[], %s::date[]) "
                "ON CONFLICT DO NOTHING RETURNING event_key",
                [[k for k, _ in keys], [d for _, d in keys]],
            )
            return {row[0] for row in cursor.fetchall()}
        new: set[str] = set()
        for chunk in _chunks(keys, SQLITE_ROWS_PER_STATEMENT):
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT OR IGNORE INTO stats_eventkey (event_key, day) VALUES {values} RETURNING event_key",
                [value for pair in chunk for value in pair],
            )
            new.update(row[0] for row in cursor.fetchall())
        return new


def ensure_month_partitions(days: set[date]) -> None:
    """Create the monthly partitions of the raw events table that `days` fall into (PostgreSQL only)."""
    if not is_postgresql():
        return
    months = {(d.year, d.month) for d in days}
    with connection.cursor() as cursor:
        for year, month in sorted(months):
            start = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(start)} PARTITION OF stats_rawevent "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )


def partition_name(month_start: date) -> str:
    return f"stats_rawevent_y{month_start.year:04d}m{month_start.month:02d}"


def write_raw_events(rows: list[tuple]) -> None:
    """Rows in RAW_COLUMNS order: COPY on PostgreSQL, one multi-row INSERT per chunk on SQLite."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgresql():
            with cursor.copy(f"COPY stats_rawevent ({', '.join(RAW_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = "(" + ", ".join(["%s"] * len(RAW_COLUMNS)) + ")"
        for chunk in _chunks(rows, max(1, 30000 // len(RAW_COLUMNS))):
            cursor.execute(
                f"INSERT INTO stats_rawevent ({', '.join(RAW_COLUMNS)}) VALUES {', '.join([placeholders] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def add_daily_counters(rows: dict[tuple, dict]) -> None:
    """Add counters to DailyStats rows keyed (program_id, host, scene, day), creating rows as needed."""
    if not rows:
        return
    columns = ("program_id", "host", "scene", "day", *DAILY_COUNTERS)
    updates = ", ".join(f"{c} = stats_dailystats.{c} + excluded.{c}" for c in DAILY_COUNTERS)
    defaults = "unique_visitors, share_users"
    placeholders = "(" + ", ".join(["%s"] * (len(columns) + 2)) + ")"
    values = [(*key, *(counters[c] for c in DAILY_COUNTERS), 0, 0) for key, counters in rows.items()]
    with connection.cursor() as cursor:
        for chunk in _chunks(values, 200):
            cursor.execute(
                f"INSERT INTO stats_dailystats ({', '.join(columns)}, {defaults}) "
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT (program_id, host, scene, day) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
            )
