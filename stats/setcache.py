"""The user-set bitmaps this process has read, kept by set id and revision.

A 30-day dashboard needs some 300–540 bitmaps; fetching them was most of its time once programs have
tens of thousands of users, yet a drain rewrites only the sets of the days it touched. So each
reading still asks the database for every set it needs with its revision, and the database sends
the bits only of the sets whose revision this process does not hold (`stats.selectors`). Numbers
are never older than the database.

A set's revision changes with every write (`stats.drain`) and starts random, so a row whose id is
reused after a reset cannot match a kept one. Kept as Python integers, ready for unions. Bounded by
`STATS_SET_CACHE_BYTES` per process: whole programs are dropped, least recently read first.
"""

import threading
from collections import OrderedDict
from datetime import date

from django.conf import settings

# set id -> (revision, day, bitmap as an integer)
Held = dict[int, tuple[int, date, int]]


class SetCache:
    def __init__(self) -> None:
        self._programs: OrderedDict[int, Held] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def held(self, program_id: int, first: date, last: date) -> dict[int, tuple[int, int]]:
        """The kept sets of the program between two days: set id -> (revision, bitmap)."""
        with self._lock:
            sets = self._programs.get(program_id)
            if sets is None:
                return {}
            self._programs.move_to_end(program_id)
            return {set_id: (revision, value) for set_id, (revision, day, value) in sets.items()
                    if first <= day <= last}

    def keep(self, program_id: int, read: list[tuple[int, int, date, int]]) -> None:
        """Keep sets just read from the database: (set id, revision, day, bitmap)."""
        limit = settings.STATS_SET_CACHE_BYTES
        with self._lock:
            sets = self._programs.setdefault(program_id, {})
            self._programs.move_to_end(program_id)
            for set_id, revision, day, value in read:
                old = sets.get(set_id)
                self._bytes += _size(value) - (_size(old[2]) if old else 0)
                sets[set_id] = (revision, day, value)
            while self._bytes > limit and self._programs:
                _, dropped = self._programs.popitem(last=False)
                self._bytes -= sum(_size(value) for _, _, value in dropped.values())

    def clear(self) -> None:
        with self._lock:
            self._programs.clear()
            self._bytes = 0

    @property
    def size(self) -> int:
        return self._bytes


def _size(value: int) -> int:
    return (value.bit_length() + 7) // 8


set_cache = SetCache()
