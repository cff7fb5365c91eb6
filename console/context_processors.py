from django.conf import settings


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
        "debug": settings.DEBUG,
    }
