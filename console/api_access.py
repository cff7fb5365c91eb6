"""How API views reach an organisation: through the caller's membership, narrowed by the API key.

A key reaches only its own organisation (any other is 404, as for an outsider)
and only with its scopes (a missing scope is 403).
"""

from django.http import Http404
from django.utils.translation import gettext
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from console.models import ApiKey
from console.roles import SCOPE_CAPABILITY, role_can
from console.selectors import membership_for_user, memberships_for_user


def lacks_scope_message(scope: str) -> str:
    """The 403 of an API key that lacks `scope` (the scope's own name, as keys are created with it)."""
    return gettext("This API key lacks the scope '%(scope)s'.") % {"scope": scope}


class ScopedOrganisationMixin:
    """`read_scope` / `write_scope` name what a view's safe and unsafe methods need (`scope_for`);
    a view whose methods all need the same one sets `required_scope`. The schema documents the same."""

    required_scope: str | None = None
    read_scope: str | None = None
    write_scope: str | None = None

    def scope_for(self, method: str) -> str | None:
        scope = self.read_scope if method in ("GET", "HEAD", "OPTIONS") else self.write_scope
        return scope or self.required_scope

    def api_key(self) -> ApiKey | None:
        return self.request.auth if isinstance(self.request.auth, ApiKey) else None

    def reachable_memberships(self):
        memberships = memberships_for_user(self.request.user)
        key = self.api_key()
        return memberships.filter(organisation=key.organisation_id) if key else memberships

    def membership_for(self, org_slug: str):
        key = self.api_key()
        if key and key.organisation.slug != org_slug:
            raise Http404
        membership = membership_for_user(self.request.user, org_slug)
        self.check_scope(membership)
        return membership

    def check_scope(self, membership) -> None:
        # By the method, always: a view that named only `read_scope` and `write_scope` was checked for none.
        scope = self.scope_for(self.request.method)
        if scope is None:
            return
        key = self.api_key()
        if key and not key.has_scope(scope):
            raise PermissionDenied(lacks_scope_message(scope))
        if not role_can(membership.role, SCOPE_CAPABILITY[scope]):
            raise PermissionDenied(gettext("Your role in this organisation does not allow this."))


class OrganisationApiMixin(ScopedOrganisationMixin):
    # For views under /api/v1/orgs/{org_slug}/: the caller's membership there, and an answer in a serializer.
    # (A comment, not a docstring: the schema would show a docstring as every operation's description.)

    def membership(self):
        return self.membership_for(self.kwargs["org_slug"])

    def answer(self, serializer, instance, http_status=status.HTTP_200_OK) -> Response:
        return Response(serializer(instance, context={"request": self.request}).data, status=http_status)


def allowed_query_parameters(view) -> set[str]:
    """The query parameters a GET of `view` (a DRF view class) reads: its `query_params`, and the page's when it
    pages a list. `console.middleware.ApiQueryParametersMiddleware` refuses the others."""
    allowed = set(getattr(view, "query_params", ()))
    paginator = getattr(view, "pagination_class", None)
    if paginator is not None and issubclass(view, ListModelMixin):
        allowed |= {paginator.page_query_param, getattr(paginator, "page_size_query_param", None)} - {None}
    return allowed
