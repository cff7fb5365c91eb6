from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

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
            membership = _membership(request, org_slug)
            if capability:
                require_capability(membership, capability)
            request.membership = membership
            remember_organisation(request, org_slug)
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator


def _membership(request, org_slug: str):
    """The user's membership of `org_slug` (outsiders 404), from the memberships the navigation lists.

    The sidebar reads all the user's memberships on every page anyway; picking this one from that
    list saves a query. Both are read afresh in each request, so a removal or role change counts on
    the next one.
    """
    memberships = getattr(request, "memberships", None)
    if memberships is None:  # a view called without the middleware
        return membership_for_user(request.user, org_slug)
    membership = memberships.of_organisation(org_slug)
    if membership is None:
        raise Http404
    return membership
