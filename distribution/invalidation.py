"""One signal that what hosts see has changed: grants, their caps, their placements.

Writers (the services that grant, revoke, expire or edit placements) call `distribution_changed`
after their transaction commits; the share gate and the placements API key their caches on
`distribution_generation()`, so a change reaches every web process at once, whatever caches it.
Scene pauses live in the hosts catalog, which cannot call in here: the gate re-reads scenes at
least once a second instead.
"""

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "distribution:generation"


def distribution_generation() -> int:
    return cache.get(GENERATION_KEY) or 0


def _bump() -> None:
    cache.add(GENERATION_KEY, 0, timeout=None)
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # evicted between add and incr
        cache.set(GENERATION_KEY, 1, timeout=None)


def distribution_changed() -> None:
    """Call inside or outside a transaction: the bump happens once the change is visible."""
    transaction.on_commit(_bump)
