"""Fixed-window rate limits on the shared cache (Redis in production).

`cache.add` creates the counter with its expiry only if absent and `cache.incr`
is atomic on Redis, so concurrent requests cannot slip past the limit there.
"""

from django.core.cache import cache


def rate_limit_exceeded(bucket: str, *, limit: int, window: int) -> bool:
    """Count one hit in `bucket`; True when this hit is over `limit` in the current `window` seconds."""
    key = f"ratelimit:{bucket}"
    cache.add(key, 0, timeout=window)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        hits = 1
    return hits > limit


def rate_limit_reset(bucket: str) -> None:
    cache.delete(f"ratelimit:{bucket}")


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
