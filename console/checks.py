"""System checks: configurations that start but would lose data later."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register


def _redis_database(url: str) -> tuple | None:
    """(host, port, database) of a redis:// URL, None for another scheme."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return None
    database = parts.path.strip("/") or "0"
    return (parts.hostname or "localhost", parts.port or 6379, database)


def _in_the_caches_database(url: str | None) -> bool:
    """Does `url` name the Redis database the cache (REDIS_URL) uses?"""
    cache = _redis_database(getattr(settings, "REDIS_URL", "") or "")
    return cache is not None and cache == _redis_database(url or "")


@register()
def broker_apart_from_cache(app_configs, **kwargs):
    """A broker in the cache's Redis database loses its queued tasks to a FLUSHDB of the cache, which nothing but
    the cache's own owner expects."""
    if not _in_the_caches_database(settings.CELERY_BROKER_URL):
        return []
    return [Warning(
        "The Celery broker (CELERY_BROKER_URL) uses the cache's Redis database (REDIS_URL).",
        hint="Clearing the cache (FLUSHDB) would drop queued tasks. Give the broker a database of its own, e.g. "
             "CELERY_BROKER_URL=redis://host:6379/1.",
        id="console.W001",
    )]


@register()
def host_store_apart_from_cache(app_configs, **kwargs):
    """The host runtime store holds what must outlive a cache flush: ingested event batches waiting for the drain,
    the share gate's caps and recorded answers, the replay nonces of signed host calls."""
    if not _in_the_caches_database(getattr(settings, "HOST_STORE_URL", "")):
        return []
    return [Warning(
        "The host runtime store (HOST_STORE_URL) uses the cache's Redis database (REDIS_URL).",
        hint="Clearing the cache (FLUSHDB) would drop ingested event batches not drained yet, reset the share "
             "gate's caps, forget the gate's answers not rolled up yet and let signed host calls be replayed. Give "
             "the store a database of its own, e.g. HOST_STORE_URL=redis://host:6379/2.",
        id="console.W002",
    )]


@register(deploy=True)
def stats_user_hash_key_pinned(app_configs, **kwargs):
    """Host user ids are stored as HMACs; without a key of their own the key derives from SECRET_KEY."""
    if getattr(settings, "STATS_USER_HASH_KEY", ""):
        return []
    return [Warning(
        "STATS_USER_HASH_KEY is not set: host user ids are hashed with a key derived from SECRET_KEY.",
        hint="Rotating SECRET_KEY would then hash every host user anew, and each would count as a new user "
             "(unique visitors, new users and retention would be wrong). Pin the key: set STATS_USER_HASH_KEY to "
             "what `python manage.py stats_user_hash_key` prints.",
        id="console.W003",
    )]
