"""Dashboard panels contributed by other apps.

The console imports no domain app, so apps that want a place on the organisation
dashboard register a panel here from their AppConfig.ready().
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50


_PANELS: list[Callable] = []


def register_dashboard_panel(build: Callable) -> Callable:
    """`build(membership) -> Panel | None`; None hides the panel for that member."""
    _PANELS.append(build)
    return build


def dashboard_panels(membership) -> list[Panel]:
    panels = [panel for build in _PANELS if (panel := build(membership)) is not None]
    return sorted(panels, key=lambda p: p.order)
