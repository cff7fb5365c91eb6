"""The distribution card on the program page (programs cannot import distribution: it renders the slot)."""

from collections import Counter

from console.panels import PROGRAM_PAGE, Panel, register_panel
from console.roles import Capability, role_can
from distribution.eligibility import State
from distribution.selectors import program_distribution


@register_panel(PROGRAM_PAGE)
def distribution_panel(request, *, program, membership) -> Panel:
    """How many scenes are open, granted, requested …, and the link to the distribution page."""
    rows = [row for block in program_distribution(program) for row in block.rows]
    counts = Counter(row.state for row in rows)
    shown = [(State(state).label, state, counts[state]) for state in State.values if counts[state]]
    return Panel(
        template="distribution/panels/program.html",
        context={"program": program, "org": membership.organisation, "counts": shown,
                 "expiring": [row for row in rows if row.state == State.EXPIRING],
                 "can_request": role_can(membership.role, Capability.DISTRIBUTE)},
        order=30,
    )
