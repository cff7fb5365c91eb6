"""The runtime store on the embedded default: a dedicated SQLite file, one `BEGIN IMMEDIATE` per step.

`BEGIN IMMEDIATE` takes the file's write lock before reading, so a check-then-consume step is atomic
across threads and processes (gunicorn workers, the test's threads). Before it, threads queue on a
process mutex and processes on an exclusive `flock` of a lock file next to the database: both wake a
waiter the moment the holder is done, where SQLite's own busy handler would sleep for milliseconds.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import orjson

from hosts.runtime import Admission, Quota, Store, Verdict, Window, answer_json, new_token

SCHEMA = """
CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, stamps TEXT NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quotas (key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonces (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS taken (id INTEGER PRIMARY KEY, name TEXT NOT NULL, token TEXT NOT NULL, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, until REAL NOT NULL) WITHOUT ROWID;
"""
PURGE_EVERY = 2000  # steps, on average, between sweeps of expired rows


class SqliteStore(Store):
    def __init__(self, path: str):
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._mutex = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # Counters, nonces and answers are disposable state: an application crash loses nothing, an OS
            # crash may lose the last moments (or the file: delete it). Commits stay in memory until the OS
            # writes them, which is what makes a step cost tens of microseconds, not hundreds.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA mmap_size=268435456")  # pages another process changed are re-read from memory
            conn.executescript(SCHEMA)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _lock_file(self) -> int:
        if getattr(self, "_lock_pid", None) != os.getpid():
            self._lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_pid = os.getpid()
        return self._lock_fd

    @contextmanager
    def _transaction(self):
        conn = self._connection()
        with self._mutex:
            lock = self._lock_file()
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ admission

    def admit(self, *, rate: Quota | None, nonce: str, nonce_ttl: float, now: float) -> Admission:
        with self._transaction() as conn:
            stopped = _admission(conn, rate, nonce, now)
            if stopped is not None:
                return stopped
            conn.execute("INSERT OR REPLACE INTO nonces VALUES (?, '', ?)", (nonce, now + nonce_ttl))
            self._maybe_purge(conn, now)
        return Admission()

    # ------------------------------------------------------------------ the gate's step

    def attempt(self, *, limits, refuse, allow_reason, record, log, log_max, nonce, nonce_ttl, now, claim=False,
                rate=None) -> Verdict:
        with self._transaction() as conn:
            if claim:
                stopped = _admission(conn, rate, nonce, now)
                if stopped is not None:
                    return Verdict(False, "", None, stopped=stopped)
            seen: dict = {}
            verdict = _check(conn, limits, now, allow_reason, seen) if refuse is None else Verdict(False, refuse, None)
            if verdict.allowed:
                for limit in limits:
                    _consume(conn, limit, now, seen)
            if record:
                _append(conn, log, {**record, **verdict.answer()}, log_max)
            if nonce:
                conn.execute("INSERT OR REPLACE INTO nonces VALUES (?, ?, ?)", (nonce, answer_json(verdict), now + nonce_ttl))
                self._maybe_purge(conn, now)
        return verdict

    def append(self, log: str, item: dict) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO log (name, item) VALUES (?, ?)", (log, orjson.dumps(item).decode()))

    def take(self, log: str, max_items: int, *, lease: float = 0, now: float = 0) -> tuple[str, list[dict]]:
        with self._transaction() as conn:
            aside = conn.execute("SELECT token, item FROM taken WHERE name = ? ORDER BY id", (log,)).fetchall()
            if aside:
                leased = conn.execute("SELECT until FROM leases WHERE name = ?", (log,)).fetchone()
                if leased and now < leased[0]:
                    return "", []
                conn.execute("INSERT OR REPLACE INTO leases VALUES (?, ?)", (log, now + lease))
                return aside[0][0], [orjson.loads(item) for _, item in aside]
            rows = conn.execute("SELECT id, item FROM log WHERE name = ? ORDER BY id LIMIT ?", (log, max_items)).fetchall()
            if not rows:
                return "", []
            token = new_token()
            conn.executemany("INSERT INTO taken (name, token, item) VALUES (?, ?, ?)",
                             [(log, token, item) for _, item in rows])
            conn.execute("DELETE FROM log WHERE name = ? AND id <= ?", (log, rows[-1][0]))
            conn.execute("INSERT OR REPLACE INTO leases VALUES (?, ?)", (log, now + lease))
        return token, [orjson.loads(item) for _, item in rows]

    def done(self, log: str, token: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM taken WHERE name = ? AND token = ?", (log, token))

    def claim_ids(self, ids: list[str], ttl: float, now: float) -> list[bool]:
        if not ids:
            return []
        with self._transaction() as conn:
            seen = set()
            for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                seen.update(key for (key,) in conn.execute(
                    f"SELECT key FROM seen WHERE expires > ? AND key IN ({', '.join('?' * len(chunk))})",  # noqa: S608
                    (now, *chunk)))
            claimed = []
            for key in ids:
                claimed.append(key not in seen)
                seen.add(key)
            conn.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?)",
                             [(key, now + ttl) for key, new in zip(ids, claimed, strict=True) if new])
            self._maybe_purge(conn, now)
        return claimed

    def counter(self, key: str) -> int:
        row = self._connection().execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
        return row[0] if row else 0

    def increment(self, key: str) -> int:
        with self._transaction() as conn:
            return conn.execute(
                "INSERT INTO counters VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value",
                (key,)).fetchone()[0]

    def clear(self) -> None:
        with self._transaction() as conn:
            for table in ("windows", "quotas", "nonces", "seen", "counters", "log", "taken", "leases"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def _maybe_purge(self, conn, now: float) -> None:
        if random.randrange(PURGE_EVERY) == 0:
            for table in ("windows", "quotas", "nonces", "seen"):
                conn.execute(f"DELETE FROM {table} WHERE expires <= ?", (now,))  # noqa: S608


def _admission(conn, rate: Quota | None, nonce: str, now: float) -> Admission | None:
    """Count the call against `rate` and look the nonce up; an Admission when the call stops here."""
    if rate is not None:
        hits, expires = _quota_hit(conn, rate, now)  # over-limit calls count too, as on Redis
        if hits > rate.limit:
            return Admission(retry_after=expires - now)
    row = conn.execute("SELECT value FROM nonces WHERE key = ? AND expires > ?", (nonce, now)).fetchone()
    return Admission(prior=row[0]) if row is not None else None


def _quota(conn, key: str, now: float) -> tuple[int, float | None]:
    row = conn.execute("SELECT hits, expires FROM quotas WHERE key = ? AND expires > ?", (key, now)).fetchone()
    return (row[0], row[1]) if row else (0, None)


def _quota_hit(conn, quota: Quota, now: float) -> tuple[int, float]:
    return conn.execute(
        "INSERT INTO quotas VALUES (?, 1, ?) ON CONFLICT(key) DO UPDATE SET "
        "hits = CASE WHEN expires > ? THEN hits + 1 ELSE 1 END, "
        "expires = CASE WHEN expires > ? THEN expires ELSE excluded.expires END RETURNING hits, expires",
        (quota.key, now + quota.resets_in, now, now)).fetchone()


def _stamps(conn, window: Window, now: float) -> list[float]:
    row = conn.execute("SELECT stamps FROM windows WHERE key = ?", (window.key,)).fetchone()
    stamps = json.loads(row[0]) if row else []
    return [t for t in stamps[: window.limit] if t > now - window.seconds]


def _check(conn, limits, now: float, allow_reason: str, seen: dict) -> Verdict:
    """The first limit that refuses, or allowed; `seen` keeps each window's stamps for `_consume`."""
    for limit in limits:
        if isinstance(limit, Window):
            inside = seen[limit.key] = _stamps(conn, limit, now)
            if len(inside) >= limit.limit:
                return Verdict(False, limit.name, min(inside) + limit.seconds - now)
        else:
            hits, expires = _quota(conn, limit.key, now)
            if hits >= limit.limit:
                return Verdict(False, limit.name, expires - now if expires else limit.resets_in)
    return Verdict(True, allow_reason, None)


def _consume(conn, limit, now: float, seen: dict) -> None:
    if isinstance(limit, Window):
        stamps = [now, *seen[limit.key]][: limit.limit]
        conn.execute("INSERT OR REPLACE INTO windows VALUES (?, ?, ?)",
                      (limit.key, json.dumps(stamps), now + limit.seconds))
    else:
        _quota_hit(conn, limit, now)


def _append(conn, log: str, item: dict, log_max: int) -> None:
    cursor = conn.execute("INSERT INTO log (name, item) VALUES (?, ?)", (log, json.dumps(item)))
    if cursor.lastrowid % 500 == 0:  # trim now and then, not on every append
        conn.execute("DELETE FROM log WHERE name = ? AND id <= ?", (log, cursor.lastrowid - log_max))

