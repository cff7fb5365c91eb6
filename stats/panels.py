"""The stats card on the program page (programs cannot import stats: it renders the slot)."""

from datetime import timedelta

from django.utils import timezone

from console.panels import PROGRAM_PAGE, Panel, register_panel
from console.roles import Capability, role_can
from stats.selectors import StatsQuery, program_totals


@register_panel(PROGRAM_PAGE)
def program_stats_panel(request, *, program, membership) -> Panel | None:
    """Last 7 days at a glance, with the way to the dashboard; only for roles that read stats."""
    if not role_can(membership.role, Capability.READ_STATS):
        return None
    today = timezone.localdate()
    totals = program_totals(program, StatsQuery(start=today - timedelta(days=6), end=today))
    return Panel(template="stats/panels/program_stats.html",
                 context={"program": program, "org": membership.organisation, "totals": totals}, order=30)
