"""One signal that what hosts see has changed: grants, their caps, their placements.

Writers (the services that grant, revoke, expire or edit placements) call `distribution_changed`
after their transaction commits; the share gate and the placements API key their caches on
`distribution_generation()` and on programs' own generation (`programs.invalidation`: releases,
rollbacks, phased releases, categories, host approvals), so a change reaches every web process at
once, whatever caches it. Scene pauses live in the hosts catalog, which cannot call in here: the gate
re-reads scenes at least once a second instead.
"""

from console.generations import generation, generation_bump

GENERATION_KEY = "distribution:generation"


def distribution_generation() -> int:
    return generation(GENERATION_KEY)


def distribution_changed() -> None:
    """Call inside or outside a transaction: the bump happens once the change is visible."""
    generation_bump(GENERATION_KEY)
