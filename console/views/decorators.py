from functools import wraps

from django.contrib.auth.decorators import login_required

from console.middleware import remember_organisation
from console.selectors import membership_for_user, require_capability


def org_page(capability: str | None = None):
    """A portal page inside an organisation: login required, outsiders 404, missing capability 403.

    The view receives the membership (and so the organisation) as `membership`.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, org_slug, *args, **kwargs):
            membership = membership_for_user(request.user, org_slug)
            if capability:
                require_capability(membership, capability)
            request.membership = membership
            remember_organisation(request, org_slug)
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator
