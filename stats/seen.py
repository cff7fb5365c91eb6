"""Which event ids have been seen, so that the ingest answer can count duplicates.

The drain is what guarantees that an event counts once (`stats.EventKey`); this only lets the
answer say so. Without writing the database in the request: a read of the ids already stored,
plus, when Redis is configured, an atomic SET NX per id that also catches retries whose first
attempt is still queued. The embedded default (no Redis) sees those as accepted; the drain still
stores them once.

A claimed id is only a word in the answer, never a reason to drop the event: its first batch may
never be stored (the broker was down and the host got a 500, the drain gave up on a database away
for hours). So every event not stored yet goes to the drain, and a retry stores what was lost.
"""

from functools import cache
from typing import NamedTuple

from django.conf import settings

from stats import storage

SEEN_PREFIX = "stats:seen:"


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


# Marks each id (KEYS) as seen for ARGV[1] seconds; 1 where it was not seen before. One call for the batch:
# a pipeline of a SET per id cost 15 µs an event in redis-py's packing, the script 4.
CLAIM = """
local claimed = {}
for i, key in ipairs(KEYS) do
  claimed[i] = redis.call('SET', key, 1, 'NX', 'EX', ARGV[1]) and 1 or 0
end
return claimed
"""


def _claim(keys: list[str]) -> list[bool]:
    script = _claim_script()
    if script is None or not keys:
        return [True] * len(keys)
    ttl = (settings.STATS_LATE_EVENT_DAYS + 1) * 24 * 3600
    prefix = f"{settings.CACHE_KEY_PREFIX}:{SEEN_PREFIX}"
    return [bool(claimed) for claimed in script(keys=[prefix + key for key in keys], args=[ttl])]


@cache
def _claim_script():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(settings.REDIS_URL).register_script(CLAIM)
