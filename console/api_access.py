"""How API views reach an organisation: through the caller's membership, narrowed by the API key.

A key reaches only its own organisation (any other is 404, as for an outsider)
and only with its scopes (a missing scope is 403).
"""

from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from console.models import ApiKey
from console.roles import SCOPE_CAPABILITY, role_can
from console.selectors import membership_for_user, memberships_for_user


class ScopedOrganisationMixin:
    required_scope: str | None = None

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
        scope = self.required_scope
        if scope is None:
            return
        key = self.api_key()
        if key and not key.has_scope(scope):
            raise PermissionDenied(f"This API key lacks the scope '{scope}'.")
        if not role_can(membership.role, SCOPE_CAPABILITY[scope]):
            raise PermissionDenied("Your role in this organisation does not allow this.")
