from django.conf import settings

from console.notify.selectors import unread_notification_count


def shell(request):
    """What the navigation shell needs on every page."""
    memberships = getattr(request, "memberships", None)
    user = getattr(request, "user", None)
    org_membership = getattr(request, "membership", None)
    current = org_membership or (memberships.current() if memberships is not None and user and user.is_authenticated else None)
    return {
        "shell_memberships": memberships if user and user.is_authenticated else [],
        "shell_membership": current,
        "shell_org": current.organisation if current else None,
        "shell_unread_count": lambda: _unread_count(request),
        "debug": settings.DEBUG,
    }


def _unread_count(request) -> int:
    """The topbar's badge: one capped COUNT, run only when a template shows it and once per request."""
    if not hasattr(request, "_shell_unread_count"):
        user = getattr(request, "user", None)
        request._shell_unread_count = unread_notification_count(user) if user and user.is_authenticated else 0
    return request._shell_unread_count
