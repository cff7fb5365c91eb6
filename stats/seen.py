"""Which event ids have been seen, so that the ingest answer can count duplicates.

The drain is what guarantees that an event counts once (`stats.EventKey`); this only lets the
answer say so. Without writing the database in the request: a read of the ids already stored,
plus an atomic claim of the rest in the host runtime store (Redis in production, its SQLite file on
the embedded default), which also catches retries whose first attempt is still queued.

A claimed id is only a word in the answer, never a reason to drop the event: its first batch may
never have been kept (the request failed after the claim: the host got a 500, or the host runtime
store lost what it held). So every event not stored yet goes to the drain again, and a retry stores
what was lost.
"""

import time
from typing import NamedTuple

from django.conf import settings

from hosts.runtime import host_store
from stats import storage


class Split(NamedTuple):
    to_store: list[dict]  # the first event of each id not stored yet, for the drain
    new: int  # how many of those were never seen before: the answer's `accepted`
    duplicates: int  # the rest of the batch


def split_duplicates(events: list[dict]) -> Split:
    unique: dict[str, dict] = {}
    for event in events:
        unique.setdefault(event["key"], event)
    stored = storage.stored_event_keys(list(unique))
    to_store = [e for key, e in unique.items() if key not in stored]
    new = sum(_claim([e["key"] for e in to_store]))
    return Split(to_store, new, len(events) - new)


def _claim(keys: list[str]) -> list[bool]:
    """Seen for as long as an event may arrive late, and a day more."""
    ttl = (settings.STATS_LATE_EVENT_DAYS + 1) * 24 * 3600
    return host_store().claim_ids(keys, ttl, time.time())
