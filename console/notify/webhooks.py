"""Writes for webhooks: endpoints (create, edit, disable, delete, roll the secret), deliveries and their attempts.

A delivery is one event for one endpoint. The Celery task `console.tasks.deliver_webhook` makes
attempt number N by calling `webhook_delivery_attempt`; the attempt number doubles as the
idempotency guard, so a duplicated or late message can never send the same attempt twice, and a
delivery that has succeeded or failed is never sent again (a redelivery is a new delivery).
"""

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _

from console.exceptions import LimitReached
from console.models import NotificationEvent, Organisation, User, WebhookDelivery, WebhookEndpoint
from console.notify import transport
from console.notify.selectors import webhook_endpoints_subscribed
from console.ratelimit import rate_limit_wait
from console.services import audit_record

PING_EVENT = "ping"
SECRET_PREFIX = "whsec_"
# Waits after attempts 1…5; the 6th attempt is the last.
RETRY_BACKOFF_SECONDS = (30, 120, 600, 3600, 6 * 3600)
MAX_ATTEMPTS = len(RETRY_BACKOFF_SECONDS) + 1
# A pending delivery this far past its plan lost its Celery message (broker restart, worker killed).
STRANDED_AFTER = timedelta(minutes=15)
# Plain http only to the developer's own machine, and only where WEBHOOK_ALLOW_PRIVATE_TARGETS is on: a receiver
# started on a laptop has no certificate. Anywhere else a webhook carries signed, possibly
# confidential data, so it must travel over TLS.
LOCAL_HTTP_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Each endpoint gets every event it subscribes to, each retried up to six times, and a ping is a request to a
# URL of the organisation's choosing: without limits the console is a request amplifier.
ENDPOINTS_PER_ORGANISATION = 20
PINGS_PER_MINUTE = 5


def private_targets_allowed() -> bool:
    """Development delivers to 127.0.0.1; production refuses internal addresses (SSRF).

    One explicit setting decides (`WEBHOOK_ALLOW_PRIVATE_TARGETS`, on by default only with DEBUG)."""
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)


# ---------------------------------------------------------------- endpoints


def validate_webhook_url(url: str) -> str:
    """The URL as deliveries use it (non-ASCII characters of its path and query percent-encoded), or a
    ValidationError saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - read for its check: "https://h:99999/" raises here, not in urlsplit
    except ValueError:  # "https://[x" (an unclosed IPv6 address)
        raise ValidationError({"url": _("Enter a valid URL.")}) from None
    if parts.username or parts.password:
        raise ValidationError({"url": _("Put no user name or password in the URL; deliveries are signed instead.")})
    if not (parts.scheme == "https" and parts.hostname) and not (
            parts.scheme == "http" and parts.hostname in LOCAL_HTTP_HOSTS and private_targets_allowed()):
        raise ValidationError({"url": _("Use an https:// URL.")})
    # "https://example.com/é" was stored as it is, and every delivery to it failed in http.client (ASCII only).
    return iri_to_uri(url)


def _validate_events(events: list[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    if set(chosen) - set(NotificationEvent.values):
        raise ValidationError({"events": _("Unknown event.")})
    return chosen


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _state(endpoint: WebhookEndpoint) -> dict:
    """What the audit log keeps of an endpoint: its URL without path and query (`shown_url`), as every member and
    viewer reads the audit log."""
    return {"url": endpoint.shown_url, "events": endpoint.events, "active": endpoint.is_active,
            "description": endpoint.description}


@transaction.atomic
def webhook_endpoint_create(
    *, organisation: Organisation, actor: User, api_key=None, url: str, events: list[str], description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    url = validate_webhook_url(url.strip())
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()  # one count at a time
    if organisation.webhook_endpoints.count() >= ENDPOINTS_PER_ORGANISATION:
        raise LimitReached(_("An organisation has at most %(n)d webhook endpoints; delete one first.") % {
            "n": ENDPOINTS_PER_ORGANISATION})
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation, url=url, events=_validate_events(events), description=description.strip(),
        secret=_new_secret(), created_by=actor, is_active=active,
    )
    audit_record(action="webhook.create", target=endpoint, actor=actor, api_key=api_key, organisation=organisation,
                 after=_state(endpoint))
    return endpoint


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """The endpoint's row, locked until the transaction ends; 404 if it was deleted meanwhile. Without the lock,
    a ping, an edit or a new secret racing its deletion failed as a 500 (a foreign key, an update of no row)."""
    locked = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    if locked is None:
        raise Http404
    return locked


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor: User, api_key=None, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    endpoint = _locked(endpoint)
    url = validate_webhook_url(url.strip())
    before = _state(endpoint)
    endpoint.url, endpoint.events, endpoint.description = url, _validate_events(events), description.strip()
    endpoint.save(update_fields=["url", "events", "description"])
    audit_record(action="webhook.update", target=endpoint, actor=actor, api_key=api_key,
                 organisation=endpoint.organisation, before=before, after=_state(endpoint))
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(
    *, endpoint: WebhookEndpoint, actor: User, api_key=None, active: bool
) -> WebhookEndpoint:
    endpoint = _locked(endpoint)
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=not active).update(is_active=active)
    endpoint.is_active = active
    if changed:
        audit_record(action="webhook.enable" if active else "webhook.disable", target=endpoint, actor=actor,
                     api_key=api_key, organisation=endpoint.organisation, before={"active": not active},
                     after={"active": active})
    return endpoint


@transaction.atomic
def webhook_endpoint_roll_secret(*, endpoint: WebhookEndpoint, actor: User, api_key=None) -> WebhookEndpoint:
    """A new secret at once (after a leak); receivers must switch to it."""
    endpoint = _locked(endpoint)
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret"])
    audit_record(action="webhook.roll_secret", target=endpoint, actor=actor, api_key=api_key,
                 organisation=endpoint.organisation)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User, api_key=None) -> None:
    """Deletes the endpoint and its delivery log; the audit log keeps what it was."""
    endpoint = _locked(endpoint)
    audit_record(action="webhook.delete", target=endpoint, actor=actor, api_key=api_key,
                 organisation=endpoint.organisation, before=_state(endpoint))
    endpoint.delete()


# ---------------------------------------------------------------- deliveries


def _document(*, organisation: Organisation, event: str, title: str, url: str, data: dict, event_id: str) -> dict:
    """The JSON body receivers get. `id` is the event's: the same for every endpoint and redelivery."""
    return {
        "id": event_id,
        "event": event,
        "created_at": timezone.now().isoformat(),
        "organisation": {"slug": organisation.slug, "name": organisation.name},
        "title": title,
        "url": url,
        "data": data,
    }


def _enqueue(delivery: WebhookDelivery) -> None:
    from console.tasks import deliver_webhook

    transaction.on_commit(partial(deliver_webhook.delay, str(delivery.pk), 1))


def webhook_deliveries_create(
    *, organisation: Organisation, event: str, title: str, url: str, payload: dict, event_id: str
) -> list[WebhookDelivery]:
    """One delivery per active endpoint subscribed to `event`, each sent after the transaction commits."""
    document = _document(organisation=organisation, event=event, title=title, url=url, data=payload,
                         event_id=event_id)
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=document)
        for endpoint in webhook_endpoints_subscribed(organisation, event)
    ]
    for delivery in deliveries:
        _enqueue(delivery)
    return deliveries


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, actor: User, api_key=None) -> WebhookDelivery:
    """Send a `ping` event (even to a disabled endpoint), to check the receiver and its signature check."""
    endpoint = _locked(endpoint)
    wait = rate_limit_wait(f"webhook-ping:{endpoint.pk}", limit=PINGS_PER_MINUTE, window=60)
    if wait:
        raise LimitReached(_("At most %(n)d test pings a minute; try again in %(s)d seconds.") % {
            "n": PINGS_PER_MINUTE, "s": wait}, retry_after=wait)
    document = _document(
        organisation=endpoint.organisation, event=PING_EVENT, title=_("Test ping from the mini-program console"),
        url="", data={"endpoint": endpoint.pk}, event_id=str(uuid.uuid4()),
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=PING_EVENT, payload=document)
    audit_record(action="webhook.ping", target=endpoint, actor=actor, api_key=api_key,
                 organisation=endpoint.organisation,
                 after={"delivery": str(delivery.pk)})
    _enqueue(delivery)
    return delivery


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, actor: User, api_key=None) -> WebhookDelivery:
    """Send the same body again as a new delivery (new delivery id, same event id)."""
    _locked(delivery.endpoint)
    again = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint, event=delivery.event, payload=delivery.payload, redelivery_of=delivery
    )
    audit_record(action="webhook.redeliver", target=delivery.endpoint, actor=actor, api_key=api_key,
                 organisation=delivery.endpoint.organisation,
                 after={"delivery": str(again.pk), "redelivery_of": str(delivery.pk)})
    _enqueue(again)
    return again


# ---------------------------------------------------------------- attempts


@dataclass(frozen=True)
class _Outcome:
    code: int | None = None
    body: str = ""
    error: str = ""
    permanent: bool = False  # no point retrying (refused target, disabled endpoint)

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def request_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def request_headers(delivery: WebhookDelivery, body: bytes, *, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(timezone.now().timestamp()))
    return {
        "Content-Type": "application/json",
        "X-Console-Event": delivery.event,
        "X-Console-Delivery": str(delivery.pk),
        "X-Console-Timestamp": timestamp,
        "X-Console-Signature": transport.sign(delivery.endpoint.secret, timestamp, body),
    }


def _send(delivery: WebhookDelivery) -> _Outcome:
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != PING_EVENT:
        return _Outcome(error="The endpoint is disabled.", permanent=True)
    if endpoint.secret is None:  # sealed under a SECRET_KEY no longer configured: never sign with nothing
        return _Outcome(error="The signing secret cannot be read (SECRET_KEY changed); roll the secret.")
    body = request_body(delivery)
    try:
        response = transport.post(endpoint.url, body=body, headers=request_headers(delivery, body),
                                  allow_private=private_targets_allowed())
    except transport.TargetRefused as exc:
        return _Outcome(error=f"Refused: {exc}", permanent=True)
    except (OSError, SoftTimeLimitExceeded) as exc:
        return _Outcome(error=f"{type(exc).__name__}: {exc}"[:1000])
    except ValueError as exc:  # a URL http.client cannot send (UnicodeError too): the same on every try
        return _Outcome(error=f"Refused: {type(exc).__name__}: {exc}"[:1000], permanent=True)
    answered = "" if 200 <= response.status < 300 else f"The receiver answered HTTP {response.status}."
    return _Outcome(code=response.status, body=response.body_excerpt, error=answered)


def _claim(delivery_id, attempt: int) -> WebhookDelivery | None:
    """Take attempt number `attempt`, or None if it was made already or the delivery is over."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, attempts=attempt - 1
    ).update(attempts=attempt, last_attempt_at=timezone.now(), next_retry_at=None)
    if not claimed:
        return None
    # None too when its endpoint was deleted a moment after the claim: the delivery went with it.
    return WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()


def _transition_to(delivery: WebhookDelivery, status: str, **fields) -> bool:
    """The one path that changes a delivery's status; refuses moves the table does not allow."""
    if status not in WebhookDelivery.TRANSITIONS[delivery.status]:
        raise ValueError(f"a {delivery.status} delivery cannot become {status}")
    moved = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=delivery.status, attempts=delivery.attempts
    ).update(status=status, **fields)
    return bool(moved)


def _record(delivery: WebhookDelivery, outcome: _Outcome) -> int | None:
    Status = WebhookDelivery.Status
    entry = {"attempt": delivery.attempts, "at": timezone.now().isoformat(), "code": outcome.code,
             "error": outcome.error[:300]}
    fields = {"response_code": outcome.code, "response_body": outcome.body, "error": outcome.error,
              # safe to rewrite whole: the attempt claim makes this worker the only writer
              "attempt_log": [*delivery.attempt_log, entry]}
    if outcome.ok:
        _transition_to(delivery, Status.SUCCEEDED, delivered_at=timezone.now(), **fields)
        return None
    if outcome.permanent or delivery.attempts >= MAX_ATTEMPTS:
        _transition_to(delivery, Status.FAILED, **fields)
        return None
    wait = RETRY_BACKOFF_SECONDS[delivery.attempts - 1]
    _transition_to(delivery, Status.PENDING, next_retry_at=timezone.now() + timedelta(seconds=wait), **fields)
    return wait


def webhook_delivery_attempt(*, delivery_id: str, attempt: int) -> int | None:
    """Make attempt number `attempt` of a delivery; returns the seconds to wait before the next, or None.

    A duplicate message, an attempt already made or a delivery already finished is a no-op (None).
    """
    delivery = _claim(delivery_id, attempt)
    if delivery is None:
        return None
    return _record(delivery, _send(delivery))


def webhook_deliveries_requeue_stranded() -> list[str]:
    """Re-send the next attempt of pending deliveries whose Celery message was lost."""
    from console.tasks import deliver_webhook

    cutoff = timezone.now() - STRANDED_AFTER
    stranded = WebhookDelivery.objects.filter(
        # never started, past its retry time, or a worker died in the middle of an attempt
        Q(attempts=0, created_at__lt=cutoff)
        | Q(next_retry_at__lt=cutoff)
        | Q(attempts__gt=0, next_retry_at__isnull=True, last_attempt_at__lt=cutoff),
        status=WebhookDelivery.Status.PENDING,
    )
    requeued = []
    for delivery in stranded.select_related("endpoint")[:500]:
        if delivery.attempts >= MAX_ATTEMPTS:
            _transition_to(delivery, WebhookDelivery.Status.FAILED, error=delivery.error or "Gave up.")
            continue
        deliver_webhook.delay(str(delivery.pk), delivery.attempts + 1)
        requeued.append(str(delivery.pk))
    return requeued


def webhook_deliveries_prune(*, days: int = 30) -> int:
    """Finished deliveries older than `days` leave the log."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _per_model = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(
        status=WebhookDelivery.Status.PENDING
    ).delete()
    return deleted
