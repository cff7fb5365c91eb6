"""The programs panel on the organisation dashboard."""

from console.panels import DASHBOARD, Panel, register_panel
from programs.models import Version
from programs.selectors import programs_for_org


@register_panel(DASHBOARD)
def programs_panel(request, *, membership) -> Panel:
    org = membership.organisation
    recent = (
        Version.objects.filter(program__organisation=org, program__deleted_at=None)
        .select_related("program").order_by("-created_at")[:6]
    )
    return Panel(
        template="programs/panels/dashboard.html",
        context={"org": org, "program_count": programs_for_org(org).count(), "recent_versions": recent},
        order=10,
    )
