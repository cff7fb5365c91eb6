"""Reads for notifications and webhooks, with one access helper per resource (others get 404)."""

from django.db.models import QuerySet
from django.http import Http404

from console import sql
from console.models import (
    Membership,
    Notification,
    NotificationPreference,
    Organisation,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from console.roles import Capability, Role, role_can

# The shell shows "99+" past this, so counting further is wasted work.
UNREAD_COUNT_CAP = 100


# ---------------------------------------------------------------- recipients


def roles_with(capability: str) -> list[str]:
    return [role.value for role in Role if role_can(role, capability)]


def organisation_recipients(organisation: Organisation, *, among=None) -> QuerySet[User]:
    """Active members of `organisation` whose role can view it; `among` narrows to those users."""
    users = User.objects.filter(
        is_active=True,
        memberships__organisation=organisation,
        memberships__role__in=roles_with(Capability.VIEW),
    )
    if among is not None:
        users = users.filter(pk__in=[user.pk for user in among])
    return users.select_related("notification_preference").distinct().order_by("pk")


def staff_recipients(group: str) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, groups__name=group)
        .select_related("notification_preference").distinct().order_by("pk")
    )


# ---------------------------------------------------------------- in-app


def notifications_for_user(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user).select_related("organisation")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def notification_for_user(user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def unread_notification_count(user: User) -> int:
    """One query, capped at UNREAD_COUNT_CAP.

    Every signed-in page shows it, so the SQL is our own: Django building `[:cap].count()` (a COUNT
    over a sliced, ordered subquery) cost six times running it (console/sql.py).
    """
    unread = (f"SELECT 1 FROM {sql.table(Notification)} WHERE {sql.column(Notification, 'user')} = %s "
              f"AND {sql.column(Notification, 'read_at')} IS NULL LIMIT %s")
    [(count,)] = sql.fetch(Notification, f"SELECT COUNT(*) FROM ({unread}) unread", [user.pk, UNREAD_COUNT_CAP])
    return count


def notification_preference_for_user(user: User) -> NotificationPreference:
    """The user's preferences, unsaved defaults when they never changed them."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


# ---------------------------------------------------------------- webhooks


def webhook_endpoints_for_org(organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    return organisation.webhook_endpoints.select_related("created_by").order_by("-created_at", "-id")


def webhook_endpoint_for_member(membership: Membership, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organisation=membership.organisation, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


def webhook_endpoints_subscribed(organisation: Organisation, event: str) -> list[WebhookEndpoint]:
    # An organisation has a handful of endpoints: filtering the JSON list in Python works on every database.
    return [e for e in organisation.webhook_endpoints.filter(is_active=True) if e.subscribes_to(event)]


def webhook_deliveries(endpoint: WebhookEndpoint, *, status: str = "", event: str = "") -> QuerySet[WebhookDelivery]:
    deliveries = endpoint.deliveries.all()
    if status:
        deliveries = deliveries.filter(status=status)
    if event:
        deliveries = deliveries.filter(event=event)
    return deliveries.order_by("-created_at")


def webhook_delivery_for_endpoint(endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    delivery = endpoint.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    return delivery
