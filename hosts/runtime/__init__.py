"""The host-facing runtime store: rate limits, replay nonces, share-gate counters, the answers log and the
event ids the stats ingest has seen.

Everything a host call changes lives here, never in the database, and every step is atomic across
threads and processes: a Lua script on Redis in production, one `BEGIN IMMEDIATE` transaction on a
dedicated SQLite file on the embedded default (Django's file cache cannot do either).

Two limit shapes, both consumed only when every limit of an attempt allows:

- `Window`: at most `limit` hits in ANY `seconds`-long interval (a sliding log of the last `limit`
  hit times), so nothing bursts at a window boundary;
- `Quota`: at most `limit` hits until the bucket expires `resets_in` seconds after its first hit
  (callers put the period in the key, e.g. the day).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Window:
    name: str
    key: str
    limit: int
    seconds: float


@dataclass(frozen=True)
class Quota:
    name: str
    key: str
    limit: int
    resets_in: float


@dataclass(frozen=True)
class Admission:
    """What `admit` found: over the rate limit (`retry_after` seconds), or a replay (`prior` is the
    value stored with the nonce: "" while the first request is being answered)."""

    retry_after: float | None = None
    prior: str | None = None

    @property
    def replayed(self) -> bool:
        return self.prior is not None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    retry_after: float | None
    # Set when the step claimed the nonce itself (`claim=True`) and stopped before deciding anything:
    stopped: Admission | None = None

    def answer(self) -> dict:
        retry = None if self.retry_after is None else max(1, int(-(-self.retry_after // 1)))
        return {"allow": self.allowed, "reason": self.reason, "retry_after": retry}


def new_token() -> str:
    return secrets.token_hex(16)


def answer_json(verdict: Verdict) -> str:
    return json.dumps(verdict.answer(), separators=(",", ":"))


class Store:
    """The interface both backends implement (see the module docstring)."""

    def admit(self, *, rate: Quota | None, nonce: str, nonce_ttl: float, now: float) -> Admission:
        """Count one call against `rate`; if within it, claim `nonce` (or report it as already seen)."""
        raise NotImplementedError

    def attempt(
        self, *, limits: list, refuse: str | None, allow_reason: str, record: dict | None, log: str,
        log_max: int, nonce: str | None, nonce_ttl: float, now: float, claim: bool = False,
        rate: Quota | None = None,
    ) -> Verdict:
        """In one atomic step: unless `refuse` names a reason already, check every limit and consume them
        all if all allow; append `record` plus the answer to `log` (keeping the newest `log_max`); keep the
        answer under `nonce` so that a replay can be answered without counting again.

        With `claim`, the step first does what `admit` does (count the call against `rate`, claim the
        nonce) and stops there, counting nothing else, when the call is over the rate or a replay:
        `Verdict.stopped` then says which. One round trip instead of two, and no "being answered" state.
        """
        raise NotImplementedError

    def append(self, log: str, item: dict) -> None:
        """Add `item` to the end of `log`, never trimmed: for records that must not be lost, unlike the answers
        `attempt` logs (kept to the newest `log_max`). Consumers use `take` and `done` as for any log."""
        raise NotImplementedError

    def take(self, log: str, max_items: int, *, lease: float = 0, now: float = 0) -> tuple[str, list[dict]]:
        """Move up to `max_items` of the oldest records of `log` aside, under a new token, and return both.

        The records stay aside until `done(log, token)`: a consumer that stops before it (a killed
        worker, a database error) leaves them there, and the next `take` returns the same token and
        records again instead of new ones. The consumer stores the token with what it made of the
        records, in one transaction, so that a batch taken twice is counted once. ("", []) when empty.

        With a `lease` (seconds), records taken less than that long before `now` are another consumer's,
        still at work on them: the answer is ("", []), so that two consumers do not both do the same work.
        A consumer killed mid-way leaves its records to whoever takes them after the lease.
        """
        raise NotImplementedError

    def done(self, log: str, token: str) -> None:
        """Forget the records taken under `token` (nothing when they were forgotten already)."""
        raise NotImplementedError

    def drain(self, log: str, max_items: int) -> list[dict]:
        """Take and forget at once: for a consumer that may lose a batch (tests, diagnostics)."""
        token, items = self.take(log, max_items)
        if token:
            self.done(log, token)
        return items

    def claim_ids(self, ids: list[str], ttl: float, now: float) -> list[bool]:
        """Mark each id as seen for `ttl` seconds, in one atomic step; True where it was not seen before
        (the first of an id repeated in `ids` only)."""
        raise NotImplementedError

    def counter(self, key: str) -> int:
        raise NotImplementedError

    def increment(self, key: str) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget everything (tests)."""
        raise NotImplementedError


_lock = threading.Lock()
_store: tuple[int, Store] | None = None


def build_store(url: str) -> Store:
    """`redis://…` or `sqlite:///path`."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from hosts.runtime.redis_backend import RedisStore

        return RedisStore(url, prefix=f"{settings.CACHE_KEY_PREFIX}:hostrt:")
    if url.startswith("sqlite:///"):
        from hosts.runtime.sqlite_backend import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///"))
    raise ValueError(f"HOST_STORE_URL must be redis://… or sqlite:///…, got {url!r}")


def host_store() -> Store:
    """This process's store, built from settings.HOST_STORE_URL on first use (again after a fork)."""
    global _store
    current = _store
    if current is not None and current[0] == os.getpid():
        return current[1]
    with _lock:
        if _store is None or _store[0] != os.getpid():
            _store = (os.getpid(), build_store(settings.HOST_STORE_URL))
        return _store[1]


def reset_host_store() -> None:
    """Forget the built store so the next call reads settings again (tests that switch backends)."""
    global _store
    with _lock:
        _store = None
