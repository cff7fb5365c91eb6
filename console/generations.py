"""Generation counters in the shared cache: a writer bumps one after its change commits, and readers key
their caches on it, so a change reaches every process at once, whatever caches it.

Each app names its own counter (`distribution.invalidation`, `programs.invalidation`): an app lower in the
import order (console ← hosts ← programs ← distribution) bumps its own, and the apps above it read it.
"""

from django.core.cache import cache
from django.db import transaction


def generation(key: str) -> int:
    return cache.get(key) or 0


def generations(*keys: str) -> tuple[int, ...]:
    """Several counters in one round trip to the cache."""
    found = cache.get_many(keys)
    return tuple(found.get(key) or 0 for key in keys)


def _bump(key: str) -> None:
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=None)


def generation_bump(key: str) -> None:
    """Call inside or outside a transaction: the bump happens once the change is visible."""
    transaction.on_commit(lambda: _bump(key))
