"""Fixed-window rate limits on the shared cache (Redis in production).

`cache.add` creates the counter with its expiry only if absent and `cache.incr`
is atomic on Redis, so concurrent requests cannot slip past the limit there.
"""

import math
import time

from django.core.cache import cache


def rate_limit_exceeded(bucket: str, *, limit: int, window: int) -> bool:
    """Count one hit in `bucket`; True when this hit is over `limit` in the current `window` seconds."""
    return rate_limit_wait(bucket, limit=limit, window=window) > 0


def rate_limit_wait(bucket: str, *, limit: int, window: int) -> int:
    """Count one hit in `bucket`; 0 when it is within `limit`, else the seconds until the window ends
    (when the count starts again: a `Retry-After`)."""
    key = f"ratelimit:{bucket}"
    now = time.time()
    # The window's start, kept beside the counter: the cache API cannot tell how long a key has left.
    if cache.add(key, 0, timeout=window):
        cache.set(f"{key}:start", now, timeout=window)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        hits = 1
    if hits <= limit:
        return 0
    started = cache.get(f"{key}:start", now)
    return max(1, math.ceil(started + window - now))


def rate_limit_reset(bucket: str) -> None:
    cache.delete_many([f"ratelimit:{bucket}", f"ratelimit:{bucket}:start"])


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
