"""A small per-process memo with a time-to-live, for facts host calls read on every request.

Host calls must not query the database each time; what they read (credentials, scene rules, grants)
may be up to `ttl` seconds old, which is what bounds how fast a revocation or a pause takes effect.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class TtlMemo:
    def __init__(self, ttl: Callable[[], float], max_entries: int = 10_000):
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value for `key`, loaded again when it is `ttl` seconds old (monotonic clock)."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self._ttl():
            return entry[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()  # crude but bounded: a flood of unknown keys cannot grow memory
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
