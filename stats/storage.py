"""The few writes where the database's own bulk paths matter: PostgreSQL COPY and upserts.

Each function takes normalised events (see `stats.events`) or aggregated rows and works on
PostgreSQL and SQLite alike, choosing the fast path of each.
"""

from collections.abc import Callable
from datetime import date

import orjson
from django.db import connection, transaction

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


def chunks(rows: list, size: int):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def json_text(values: list) -> str:
    """A list as one JSON parameter: psycopg quotes it in one step, where an array parameter of a
    thousand strings is formatted element by element in Python."""
    return orjson.dumps(values).decode()


def stored_event_keys(keys: list[str]) -> set[str]:
    """Which of `keys` are recorded in EventKey already."""
    if not keys:
        return set()
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SELECT event_key FROM stats_eventkey WHERE event_key IN "
                           "(SELECT jsonb_array_elements_text(%s::jsonb))", [json_text(keys)])
            return {key for (key,) in cursor.fetchall()}
        found: set[str] = set()
        for chunk in chunks(keys, SQLITE_ROWS_PER_STATEMENT):
            cursor.execute(f"SELECT event_key FROM stats_eventkey WHERE event_key IN ({', '.join(['%s'] * len(chunk))})",
                           chunk)
            found.update(key for (key,) in cursor.fetchall())
        return found


def insert_new_event_keys(keys: list[tuple[str, str]]) -> set[str]:
    """Record (event_key, day) pairs; return the keys that were not recorded before."""
    if not keys:
        return set()
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "INSERT INTO stats_eventkey (event_key, day) SELECT pair->>0, (pair->>1)::date "
                "FROM jsonb_array_elements(%s::jsonb) AS pair ON CONFLICT DO NOTHING RETURNING event_key",
                [json_text(keys)],
            )
            return {row[0] for row in cursor.fetchall()}
        new: set[str] = set()
        for chunk in chunks(keys, SQLITE_ROWS_PER_STATEMENT):
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT OR IGNORE INTO stats_eventkey (event_key, day) VALUES {values} RETURNING event_key",
                [value for pair in chunk for value in pair],
            )
            new.update(row[0] for row in cursor.fetchall())
        return new


@transaction.atomic  # holds the partition lock until the partitions are made
def ensure_month_partitions(days: set[date]) -> None:
    """Create the monthly partitions of the raw events table that `days` fall into (PostgreSQL only)."""
    create_partitions(missing_partitions(days)())


def missing_partitions(days: set[date]) -> Callable[[], list[date]]:
    """Ask which months of `days` have no partition yet; the answer is read by calling the result.

    Asks the catalogue: CREATE TABLE IF NOT EXISTS takes a lock on the parent table even when the
    partition is there, and every drain would queue on it. Sent now, read later: in a pipeline the
    question travels with the statements after it.
    """
    if not is_postgresql():
        return list
    months = {partition_name(start): start for start in {date(d.year, d.month, 1) for d in days}}
    cursor = connection.cursor()
    cursor.execute("SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NULL", [list(months)])

    def read() -> list[date]:
        with cursor:
            return sorted(months[name] for (name,) in cursor.fetchall())

    return read


def create_partitions(months: list[date]) -> None:
    """Create these months' partitions, one drain at a time.

    Two transactions can both pass CREATE TABLE IF NOT EXISTS's check, and the second then fails
    ("relation already exists"): drains racing into a new month lost their batch. The lock is held
    to the end of the caller's transaction (the drain's), so the next drain finds the table made.
    """
    if not months:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK])
        for start in months:
            end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(start)} PARTITION OF stats_rawevent "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )


# Any fixed number; the advisory lock that serialises creating raw-event partitions.
PARTITION_LOCK = 7_301_001


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
        for chunk in chunks(rows, max(1, 30000 // len(RAW_COLUMNS))):
            cursor.execute(
                f"INSERT INTO stats_rawevent ({', '.join(RAW_COLUMNS)}) VALUES {', '.join([placeholders] * len(chunk))}",
                [value for row in chunk for value in row],
            )


# The batch being drained, one row per fresh event: the rollups are computed from it by SQL, set by set.
# A temporary table: private to the connection, never logged; emptied at the start of each drain.
STAGE_COLUMNS = (
    "event_key", "host", "scene", "program_id", "type", "user_hash", "occurred_at", "day", "page",
    "page_views", "stay_seconds", "share_id", "parent_share_id", "amount", "amount_fen", "seq",
)
STAGE_TABLE = "stats_stage"
_STAGE_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} (event_key text, host text, scene text, program_id bigint, "
    "type text, user_hash text, occurred_at timestamptz, day date, page text, page_views integer, "
    "stay_seconds integer, share_id text, parent_share_id text, amount numeric(12, 2), amount_fen bigint, "
    "seq integer)"
)


def clear_stage() -> None:
    """Create the staging table if this connection has none yet, and empty it."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_DDL)
        cursor.execute(f"TRUNCATE {STAGE_TABLE}" if is_postgresql() else f"DELETE FROM {STAGE_TABLE}")


def stage_events(rows: list[tuple]) -> None:
    """Rows in STAGE_COLUMNS order into the (cleared) staging table: COPY on PostgreSQL."""
    with connection.cursor() as cursor:
        if is_postgresql():
            with cursor.copy(f"COPY {STAGE_TABLE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(
            f"INSERT INTO {STAGE_TABLE} ({', '.join(STAGE_COLUMNS)}) VALUES ({', '.join(['%s'] * len(STAGE_COLUMNS))})",
            rows,
        )


def analyze_stage() -> None:
    """A temporary table is never analysed on its own; the row count and the columns the rollups filter on
    steer PostgreSQL's joins (a full ANALYZE costs five times as much)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {STAGE_TABLE} (program_id, type)")


# The staged share ids are `<host>:<id>` (`stats.drain._host_scoped`); a raw row keeps the id the host sent.
_AS_SENT = "CASE WHEN {0} = '' THEN '' ELSE substr({0}, length(host) + 2) END"
_RAW_FROM_STAGE = {"received_at": "%s", "share_id": _AS_SENT.format("share_id"),
                   "parent_share_id": _AS_SENT.format("parent_share_id")}


def raw_events_from_stage(received_at) -> None:
    """The staged events into the raw table (partitions must exist: `ensure_month_partitions`)."""
    selected = ", ".join(_RAW_FROM_STAGE.get(column, column) for column in RAW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO stats_rawevent ({', '.join(RAW_COLUMNS)}) SELECT {selected} FROM {STAGE_TABLE}",
                       [received_at])


def unstage(seqs: list[int]) -> None:
    """Take these staged events (by `seq`) out of the stage: their raw rows are written, and they count nothing."""
    with connection.cursor() as cursor:
        for chunk in chunks(seqs, SQLITE_ROWS_PER_STATEMENT):
            cursor.execute(f"DELETE FROM {STAGE_TABLE} WHERE seq IN ({', '.join(['%s'] * len(chunk))})", chunk)


def daily_counters_from_stage() -> None:
    """Add the staged events to their DailyStats rows (program × host × scene × day), creating rows as needed."""
    counted = {
        "visits": "type = 'visit'", "new_users": "type = 'new_user'",
        "new_users_via_share": "type = 'new_user' AND share_id <> ''", "shares": "type = 'share'",
        "share_opens": "type = 'share_open'", "payments": "type = 'payment'",
    }
    summed = {"page_views": ("visit", "page_views"), "stay_seconds": ("visit", "stay_seconds"),
              "revenue_fen": ("payment", "amount_fen")}
    sums = []
    for counter in DAILY_COUNTERS:
        if counter in counted:
            sums.append(f"SUM(CASE WHEN {counted[counter]} THEN 1 ELSE 0 END)")
        else:
            kind, column = summed[counter]
            sums.append(f"SUM(CASE WHEN type = '{kind}' THEN {column} ELSE 0 END)")
    updates = ", ".join(f"{c} = stats_dailystats.{c} + excluded.{c}" for c in DAILY_COUNTERS)
    with connection.cursor() as cursor:
        cursor.execute(  # WHERE true: SQLite's parser needs it before ON CONFLICT
            f"INSERT INTO stats_dailystats (program_id, host, scene, day, {', '.join(DAILY_COUNTERS)}, "
            f"unique_visitors, share_users) "
            f"SELECT program_id, host, scene, day, {', '.join(sums)}, 0, 0 FROM {STAGE_TABLE} WHERE true "
            f"GROUP BY program_id, host, scene, day "
            f"ON CONFLICT (program_id, host, scene, day) DO UPDATE SET {updates}"
        )
