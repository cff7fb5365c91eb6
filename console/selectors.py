"""Reads for accounts and organisations, including the one access helper per resource."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from console.models import ApiKey, AuditEvent, Invitation, Membership, Organisation, User
from console.roles import role_can


def memberships_for_user(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership_for_user(user: User, slug: str) -> Membership:
    """The user's membership of the organisation `slug`; 404 for anyone who is not a member.

    Every portal page and API view reaches an organisation through here, so an
    outsider cannot even learn that an organisation exists.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organisation", "user")
        .filter(user=user, organisation__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def require_capability(membership: Membership, capability: str) -> None:
    """Members whose role lacks `capability` get 403 (they know the organisation exists)."""
    if not role_can(membership.role, capability):
        raise PermissionDenied


def organisation_members(org: Organisation) -> QuerySet[Membership]:
    return org.memberships.select_related("user").order_by("user__email")


def organisation_pending_invitations(org: Organisation) -> list[Invitation]:
    return [inv for inv in org.invitations.select_related("invited_by").order_by("-created_at")[:50] if inv.is_pending]


def organisation_api_keys(org: Organisation) -> QuerySet[ApiKey]:
    return org.api_keys.select_related("created_by").order_by("revoked_at", "-created_at")


def api_key_for_member(membership: Membership, key_id: int) -> ApiKey:
    key = ApiKey.objects.filter(organisation=membership.organisation, pk=key_id).first()
    if key is None:
        raise Http404
    return key


def membership_in_org(org: Organisation, membership_id: int) -> Membership:
    membership = org.memberships.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    return membership


def invitation_in_org(org: Organisation, invitation_id: int) -> Invitation:
    invitation = org.invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def audit_events_for_org(org: Organisation, *, action: str = "", actor: str = "", target_type: str = "") -> QuerySet:
    events = AuditEvent.objects.filter(organisation=org).select_related("actor")
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if target_type:
        events = events.filter(target_type=target_type)
    return events.order_by("-created_at")
