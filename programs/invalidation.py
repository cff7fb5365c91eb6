"""One signal that what hosts may see of a program has changed: its release, phase, host approvals, categories.

Programs cannot import the distribution app (it sits above them), so they bump their own generation
after the change commits and distribution's host-facing caches (the share gate's facts, the placements
API) key on it next to their own.
"""

from console.generations import generation, generation_bump

GENERATION_KEY = "programs:generation"


def programs_generation() -> int:
    return generation(GENERATION_KEY)


def programs_changed() -> None:
    """Call inside or outside a transaction: the bump happens once the change is visible."""
    generation_bump(GENERATION_KEY)
