"""The programs panels on the organisation dashboard: the programs themselves, then the latest uploads."""

from console.panels import DASHBOARD, Panel, register_panel
from console.roles import Capability, role_can
from programs.models import Version
from programs.selectors import programs_for_org, with_release_state

DASHBOARD_PROGRAMS = 8
DASHBOARD_VERSIONS = 5


@register_panel(DASHBOARD)
def programs_panel(request, *, membership) -> Panel:
    """What the organisation ships: each program with its logo, AppID and where its releases stand."""
    org = membership.organisation
    programs = programs_for_org(org)
    shown = list(with_release_state(programs)[:DASHBOARD_PROGRAMS])
    for program in shown:
        program.latest_status_label = Version.Status(program.latest_status).label if program.latest_status else ""
    return Panel(
        template="programs/panels/dashboard.html",
        context={"org": org, "program_count": programs.count(), "programs": shown,
                 "can_create": role_can(membership.role, Capability.WRITE_PROGRAMS)},
        order=10,
    )


@register_panel(DASHBOARD)
def recent_versions_panel(request, *, membership) -> Panel | None:
    """The newest uploads across the organisation's programs; hidden until there is one."""
    org = membership.organisation
    recent = list(
        Version.objects.filter(program__organisation=org, program__deleted_at=None)
        .select_related("program").order_by("-created_at")[:DASHBOARD_VERSIONS]
    )
    if not recent:
        return None
    return Panel(template="programs/panels/recent_versions.html", context={"org": org, "versions": recent}, order=20)
