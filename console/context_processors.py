from django.conf import settings

from console.notify.selectors import unread_notification_count
from console.roles import Capability, role_can


def shell(request):
    """What the navigation shell needs on every page."""
    memberships = getattr(request, "memberships", None)
    user = getattr(request, "user", None)
    org_membership = getattr(request, "membership", None)
    signed_in = memberships is not None and user is not None and user.is_authenticated
    current = org_membership or (memberships.current() if signed_in else None)
    return {
        "shell_memberships": memberships if user and user.is_authenticated else [],
        "shell_membership": current,
        "shell_org": current.organisation if current else None,
        # Navigation shows only the pages the member's role can use.
        "shell_can": {cap: role_can(current.role, cap) for cap in Capability.values} if current else {},
        "shell_unread_count": lambda: _unread_count(request),
        "debug": settings.DEBUG,
    }


def _unread_count(request) -> int:
    """The topbar's badge: one capped COUNT, run only when a template shows it and once per request."""
    if not hasattr(request, "_shell_unread_count"):
        user = getattr(request, "user", None)
        request._shell_unread_count = unread_notification_count(user) if user and user.is_authenticated else 0
    return request._shell_unread_count
