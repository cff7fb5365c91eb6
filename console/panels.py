"""Panels that apps contribute to pages owned by other apps.

Imports run one way (console ← hosts ← programs ← reviews …), so a page cannot
import the apps that want a place on it. Instead an app registers a panel builder
for a named slot from its AppConfig.ready(), and the page renders whatever the
slot holds: the organisation dashboard shows the programs panel, the version page
shows the review thread.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

DASHBOARD = "organisation_dashboard"
VERSION_PAGE = "version_detail"
PROGRAM_PAGE = "program_detail"


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50


_SLOTS: dict[str, list[Callable]] = defaultdict(list)


def register_panel(slot: str) -> Callable:
    """Decorator: `build(request, **objects) -> Panel | None` joins `slot`; None hides it for this request."""

    def decorator(build: Callable) -> Callable:
        _SLOTS[slot].append(build)
        return build

    return decorator


def panels_for(slot: str, request, **objects) -> list[Panel]:
    panels = [panel for build in _SLOTS[slot] if (panel := build(request, **objects)) is not None]
    return sorted(panels, key=lambda p: p.order)
