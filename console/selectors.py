"""Reads for accounts and organisations, including the one access helper per resource."""

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from console.models import (
    PLATFORM_ACTOR,
    PLATFORM_REVIEW_ACTOR,
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    User,
)
from console.roles import StaffGroup, role_can


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


def organisation_pending_invitations(org: Organisation) -> QuerySet[Invitation]:
    """Invitations not yet accepted, revoked or expired, newest first."""
    return (org.invitations.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
            .select_related("invited_by").order_by("-created_at"))


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


def _actor_in_groups(names) -> Exists:
    return Exists(User.groups.through.objects.filter(user_id=OuterRef("actor_id"), group__name__in=names))


def with_public_actor(events: QuerySet) -> QuerySet:
    """Annotate `public_actor`: who an organisation may see acted, whatever the writer stored.

    Platform staff (admin-site users, superusers, the reviewer, operator and admin groups) acting on an
    organisation they are not a member of appear as "Platform review" (reviewers) or "Platform", never by
    name or email. This is the one read path of the organisation-facing audit log, its API, the recent
    activity panels and the version timeline, so a writer that forgets the label leaks nothing.
    """
    staff = (Q(actor__is_staff=True) | Q(actor__is_superuser=True) | _actor_in_groups(StaffGroup.ALL))
    member = Exists(Membership.objects.filter(user_id=OuterRef("actor_id"), organisation_id=OuterRef("organisation_id")))
    hidden = Q(actor__isnull=False) & staff & ~member
    reviewer = _actor_in_groups([StaffGroup.REVIEWERS]) | Q(actor_label=PLATFORM_REVIEW_ACTOR)
    return events.annotate(public_actor=Case(
        When(hidden & reviewer, then=Value(PLATFORM_REVIEW_ACTOR)),
        When(hidden, then=Value(PLATFORM_ACTOR)),
        default=F("actor_label"), output_field=CharField(),
    ))


def audit_events_for_org(org: Organisation, *, action: str = "", actor: str = "", target_type: str = "") -> QuerySet:
    events = with_public_actor(AuditEvent.objects.filter(organisation=org))
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(public_actor__icontains=actor)
    if target_type:
        events = events.filter(target_type=target_type)
    return events.order_by("-created_at")
