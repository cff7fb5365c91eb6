"""Which event ids have been seen, so that the ingest answer can count duplicates.

The drain is what guarantees that an event counts once (`stats.EventKey`); this only lets the
answer say so. Without writing the database in the request: a read of the ids already stored,
plus, when Redis is configured, an atomic SET NX per id that also catches retries whose first
attempt is still queued. The embedded default (no Redis) sees those as accepted; the drain still
stores them once.
"""

from functools import cache

from django.conf import settings

from stats import storage

SEEN_PREFIX = "stats:seen:"


def split_duplicates(events: list[dict]) -> tuple[list[dict], int]:
    """The events not seen before (first of each id in the batch), and how many were duplicates."""
    unique: dict[str, dict] = {}
    for event in events:
        unique.setdefault(event["key"], event)
    stored = storage.stored_event_keys(list(unique))
    candidates = [e for key, e in unique.items() if key not in stored]
    fresh = [e for e, new in zip(candidates, _claim([e["key"] for e in candidates])) if new]
    return fresh, len(events) - len(fresh)


def _claim(keys: list[str]) -> list[bool]:
    client = _redis()
    if client is None or not keys:
        return [True] * len(keys)
    ttl = (settings.STATS_LATE_EVENT_DAYS + 1) * 24 * 3600
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.set(f"{settings.CACHE_KEY_PREFIX}:{SEEN_PREFIX}{key}", 1, nx=True, ex=ttl)
        return [bool(answer) for answer in pipe.execute()]


@cache
def _redis():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)
