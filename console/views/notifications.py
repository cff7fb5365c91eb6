"""The user's notifications page (/notifications/) and an organisation's webhook pages (/orgs/<slug>/webhooks/)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from console.models import NotificationEvent
from console.notify.forms import DeliveryFilterForm, NotificationPreferenceForm, WebhookEndpointForm
from console.notify.selectors import (
    notification_for_user,
    notification_preference_for_user,
    notifications_for_user,
    unread_notification_count,
    webhook_deliveries,
    webhook_delivery_for_endpoint,
    webhook_endpoint_for_member,
    webhook_endpoints_for_org,
)
from console.notify.services import (
    notification_mark_read,
    notification_preferences_update,
    notifications_mark_all_read,
)
from console.notify.webhooks import (
    MAX_ATTEMPTS,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_roll_secret,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
    webhook_ping,
    webhook_redeliver,
)
from console.roles import Capability
from console.views.decorators import org_page

# ---------------------------------------------------------------- notifications


@login_required
def notification_list(request):
    unread_only = request.GET.get("show") == "unread"
    notifications = notifications_for_user(request.user, unread_only=unread_only)
    preference = notification_preference_for_user(request.user)
    context = {
        "page": Paginator(notifications, 20).get_page(request.GET.get("page")),
        "unread_only": unread_only,
        "unread_count": unread_notification_count(request.user),
        "preference_form": NotificationPreferenceForm(
            initial={"email_events": [e for e in NotificationEvent.values if preference.wants_email(e)]}
        ),
    }
    return render(request, "console/notifications/list.html", context)


@login_required
def notification_open(request, notification_id):
    """Mark the notification read and follow its link (only ever to a page of this site)."""
    notification = notification_for_user(request.user, notification_id)
    notification_mark_read(notification=notification)
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else reverse("notifications"))


@require_POST
@login_required
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, ngettext("%(count)s notification marked as read.", "%(count)s notifications marked as read.",
                                       count) % {"count": count})
    return redirect("notifications")


@require_POST
@login_required
def notification_preferences(request):
    form = NotificationPreferenceForm(request.POST)
    if form.is_valid():
        notification_preferences_update(user=request.user, email_events=form.cleaned_data["email_events"])
        messages.success(request, _("Email preferences saved."))
    else:
        messages.error(request, _("Those preferences could not be saved."))
    return redirect(reverse("notifications") + "#preferences")


# ---------------------------------------------------------------- webhooks


@org_page(Capability.MANAGE_ORG)
def webhook_list(request, membership):
    org = membership.organisation
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhook_endpoint_create(organisation=org, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Endpoint added. Copy its signing secret below into your receiver."))
            return redirect("webhook_detail", org_slug=org.slug, endpoint_id=endpoint.pk)
    context = {"membership": membership, "endpoints": webhook_endpoints_for_org(org), "form": form}
    return render(request, "console/notifications/webhooks.html", context, status=400 if form.errors else 200)


@org_page(Capability.MANAGE_ORG)
def webhook_detail(request, membership, endpoint_id):
    endpoint = webhook_endpoint_for_member(membership, endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhook_detail", org_slug=membership.organisation.slug, endpoint_id=endpoint.pk)
    filters = DeliveryFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    deliveries = webhook_deliveries(endpoint, status=chosen.get("status", ""), event=chosen.get("event", ""))
    page = Paginator(deliveries, 20).get_page(request.GET.get("page"))
    for delivery in page.object_list:
        delivery.pretty_payload = json.dumps(delivery.payload, indent=2, ensure_ascii=False, sort_keys=True)
        delivery.attempt_rows = [{**a, "at": parse_datetime(a["at"])} for a in delivery.attempt_log]
    context = {
        "membership": membership, "endpoint": endpoint, "form": form, "filters": filters, "page": page,
        "max_attempts": MAX_ATTEMPTS,
    }
    return render(request, "console/notifications/webhook_detail.html", context, status=400 if form.errors else 200)


def _back_to(endpoint):
    return redirect("webhook_detail", org_slug=endpoint.organisation.slug, endpoint_id=endpoint.pk)


@require_POST
@org_page(Capability.MANAGE_ORG)
def webhook_toggle(request, membership, endpoint_id):
    endpoint = webhook_endpoint_for_member(membership, endpoint_id)
    active = not endpoint.is_active
    webhook_endpoint_set_active(endpoint=endpoint, actor=request.user, active=active)
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled: no events are sent to it."))
    return _back_to(endpoint)


@require_POST
@org_page(Capability.MANAGE_ORG)
def webhook_delete(request, membership, endpoint_id):
    endpoint = webhook_endpoint_for_member(membership, endpoint_id)
    webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Endpoint %(url)s deleted.") % {"url": endpoint.url})
    return redirect("webhooks", org_slug=membership.organisation.slug)


@require_POST
@org_page(Capability.MANAGE_ORG)
def webhook_roll_secret(request, membership, endpoint_id):
    endpoint = webhook_endpoint_for_member(membership, endpoint_id)
    webhook_endpoint_roll_secret(endpoint=endpoint, actor=request.user)
    messages.warning(request, _("New secret generated. Deliveries are signed with it from now on."))
    return _back_to(endpoint)


@require_POST
@org_page(Capability.MANAGE_ORG)
def webhook_send_ping(request, membership, endpoint_id):
    endpoint = webhook_endpoint_for_member(membership, endpoint_id)
    try:
        webhook_ping(endpoint=endpoint, actor=request.user)
    except ValidationError as exc:  # the pings' rate limit
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Test ping queued; its result appears in the delivery log."))
    return _back_to(endpoint)


@require_POST
@org_page(Capability.MANAGE_ORG)
def webhook_delivery_redeliver(request, membership, endpoint_id, delivery_id):
    endpoint = webhook_endpoint_for_member(membership, endpoint_id)
    delivery = webhook_delivery_for_endpoint(endpoint, delivery_id)
    webhook_redeliver(delivery=delivery, actor=request.user)
    messages.success(request, _("Redelivery queued."))
    return _back_to(endpoint)
