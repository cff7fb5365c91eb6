"""Webhooks: endpoints, signed deliveries to a real local HTTP server, retries with backoff, the SSRF guard, pages."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from console.models import AuditEvent, Membership, NotificationEvent, User, WebhookDelivery, WebhookEndpoint
from console.notify import notify, transport
from console.notify.webhooks import (
    MAX_ATTEMPTS,
    webhook_deliveries_requeue_stranded,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_ping,
    webhook_redeliver,
)
from console.roles import Role
from programs.tests.concurrency import postgresql_only  # noqa: F401 (fixture)

Status = WebhookDelivery.Status


# ---------------------------------------------------------------- a real receiver


class Receiver:
    """An HTTP server on 127.0.0.1 answering POSTs with scripted statuses (then 200), recording each request."""

    def __init__(self, statuses, body: bytes):
        self.statuses, self.body, self.requests = list(statuses), body, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/console?x=1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(private_webhook_targets):
    """Start receivers on 127.0.0.1, which the test settings refuse (SSRF guard on) unless a test opts in."""
    started = []

    def start(*statuses, body=b'{"ok": true}'):
        started.append(Receiver(statuses, body))
        return started[-1]

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def endpoint_for(org, owner):
    def make(url, events=(NotificationEvent.REVIEW_DECIDED,), organisation=None, active=True):
        endpoint = webhook_endpoint_create(organisation=organisation or org, actor=owner, url=url, events=list(events))
        if not active:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
            endpoint.refresh_from_db()
        return endpoint

    return make


@pytest.fixture
def fire(org, django_capture_on_commit_callbacks):
    """notify() about `org`, running the after-commit work; deliveries run eagerly with their retries."""

    def _fire(event=NotificationEvent.REVIEW_DECIDED, payload=None):
        with django_capture_on_commit_callbacks(execute=True):
            notify(organisation=org, event=event, title="Version 1.2.0 approved", body="All good.",
                   url=f"/orgs/{org.slug}/", payload=payload or {"version": "1.2.0"})

    return _fire


def _signature_ok(secret: str, request: dict) -> bool:
    """What a receiver does: recompute the HMAC independently of the code under test."""
    signed = request["headers"]["X-Console-Timestamp"].encode() + b"." + request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Console-Signature"])


@pytest.fixture
def production(settings):
    """As production: the SSRF guard and the https rule apply."""
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


# ---------------------------------------------------------------- endpoints


def test_creating_an_endpoint_generates_a_secret_and_is_audited(org, owner):
    endpoint = webhook_endpoint_create(
        organisation=org, actor=owner, url=" https://hooks.example.com/console ", description="chat bot",
        events=["scan.finished", "review.decided", "scan.finished"],
    )

    assert endpoint.url == "https://hooks.example.com/console"
    assert endpoint.events == ["review.decided", "scan.finished"]
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.is_active and endpoint.created_by == owner
    event = AuditEvent.objects.get(action="webhook.create")
    assert event.organisation == org
    assert event.after["url"] == "https://hooks.example.com/…"  # every member reads the audit log
    assert endpoint.secret not in json.dumps(event.after), "the secret never lands in the audit log"


def test_a_token_in_the_url_stays_out_of_the_audit_log_that_viewers_read(org, owner, api, owner_key):
    """Found by an attack walk: a viewer, who gets 403 on the webhooks, read a Slack hook's secret path in the audit
    log's target and `after.url`."""
    from console.services import api_key_create

    url = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN123?token=abc"
    endpoint = webhook_endpoint_create(organisation=org, actor=owner, url=url, events=["review.decided"])
    from console.notify.webhooks import webhook_endpoint_delete, webhook_endpoint_update

    webhook_endpoint_update(endpoint=endpoint, actor=owner, url=url + "&v=2", events=["review.decided"])
    webhook_endpoint_delete(endpoint=endpoint, actor=owner)
    viewer = User.objects.create_user(email="vic@acme.test", password="x-9-long-password")
    Membership.objects.create(organisation=org, user=viewer, role=Role.VIEWER)
    _, raw = api_key_create(org=org, user=viewer, role=Role.VIEWER, name="v", scopes=["org:read"])

    log = api.get(f"/api/v1/orgs/{org.slug}/audit/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert log.status_code == 200 and len(log.json()["results"]) >= 3
    assert "SECRETTOKEN123" not in log.content.decode() and "token=abc" not in log.content.decode()
    assert "https://hooks.slack.com/…" in log.content.decode()


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://hooks.example.com/x", "https://u:p@hooks.example.com/"])
def test_endpoint_url_must_be_https(org, owner, url):
    with pytest.raises(ValidationError):
        webhook_endpoint_create(organisation=org, actor=owner, url=url, events=["scan.finished"])


def test_plain_http_to_localhost_is_allowed_in_development_only(org, owner, settings, private_webhook_targets):
    webhook_endpoint_create(organisation=org, actor=owner, url="http://127.0.0.1:9000/h", events=["scan.finished"])
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(ValidationError):
        webhook_endpoint_create(organisation=org, actor=owner, url="http://localhost:9000/h", events=["scan.finished"])


def test_endpoint_needs_known_events(org, owner):
    with pytest.raises(ValidationError):
        webhook_endpoint_create(organisation=org, actor=owner, url="https://h.example.com/", events=[])
    with pytest.raises(ValidationError):
        webhook_endpoint_create(organisation=org, actor=owner, url="https://h.example.com/", events=["nope"])


# ---------------------------------------------------------------- deliveries


def test_one_delivery_per_active_endpoint_subscribed_to_the_event(fire, endpoint_for, other_org, receiver):
    r = receiver()
    wanted = endpoint_for(r.url)
    endpoint_for(r.url, events=[NotificationEvent.SCAN_FINISHED])
    endpoint_for(r.url, active=False)
    endpoint_for(r.url, organisation=other_org)

    fire()

    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wanted.pk]
    assert len(r.requests) == 1


def test_staff_and_unsubscribed_events_send_nothing(fire, endpoint_for, receiver):
    r = receiver()
    endpoint_for(r.url, events=[NotificationEvent.SCAN_FINISHED])

    fire(event=NotificationEvent.RELEASE_CHANGED)

    assert WebhookDelivery.objects.count() == 0
    assert r.requests == []


def test_delivery_is_a_signed_json_post_the_receiver_can_verify(fire, endpoint_for, receiver, org, settings):
    settings.SITE_URL = "https://console.example.com"
    r = receiver()
    endpoint = endpoint_for(r.url)

    fire(payload={"version": "1.2.0", "decision": "approved"})

    delivery = WebhookDelivery.objects.get()
    (request,) = r.requests
    headers = request["headers"]
    assert request["path"] == "/hooks/console?x=1"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Console-Event"] == "review.decided"
    assert headers["X-Console-Delivery"] == str(delivery.pk)
    assert abs(int(headers["X-Console-Timestamp"]) - timezone.now().timestamp()) < 60
    assert headers["X-Console-Signature"].startswith("sha256=")
    assert _signature_ok(endpoint.secret, request)
    assert not _signature_ok("whsec_wrong", request)
    body = json.loads(request["body"])
    assert body["event"] == "review.decided"
    assert body["organisation"] == {"slug": org.slug, "name": "Acme Apps"}
    assert body["url"] == "https://console.example.com/orgs/acme-apps/"
    assert body["title"] == "Version 1.2.0 approved"
    assert body["data"] == {"version": "1.2.0", "decision": "approved"}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.SUCCEEDED, 1, 200)
    assert delivery.response_body == '{"ok": true}'
    assert delivery.delivered_at is not None


def test_two_failures_then_success_takes_three_attempts(fire, endpoint_for, receiver):
    """The Celery task retries itself (eagerly here, so no real waiting) until the receiver answers 2xx."""
    r = receiver(500, 500)
    endpoint = endpoint_for(r.url)

    fire()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.SUCCEEDED, 3, 200)
    assert delivery.next_retry_at is None
    assert len(r.requests) == 3
    assert [(a["attempt"], a["code"]) for a in delivery.attempt_log] == [(1, 500), (2, 500), (3, 200)]
    assert [a["error"] for a in delivery.attempt_log] == ["The receiver answered HTTP 500."] * 2 + [""]
    assert {req["headers"]["X-Console-Delivery"] for req in r.requests} == {str(delivery.pk)}
    assert all(_signature_ok(endpoint.secret, req) for req in r.requests)


def test_each_failed_attempt_schedules_the_next_with_growing_backoff(endpoint_for, receiver, org, owner):
    r = receiver(*[503] * 10, body=b"busy")
    endpoint = endpoint_for(r.url)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="review.decided", payload={"a": 1})

    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        before = timezone.now()
        waits.append(webhook_delivery_attempt(delivery_id=delivery.pk, attempt=attempt))
        delivery.refresh_from_db()
        if waits[-1] is not None:
            assert delivery.status == Status.PENDING
            assert before + timedelta(seconds=waits[-1]) <= delivery.next_retry_at
            assert delivery.next_retry_at <= timezone.now() + timedelta(seconds=waits[-1])

    assert waits == [30, 120, 600, 3600, 6 * 3600, None]
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.FAILED, 6, 503)
    assert delivery.response_body == "busy"
    assert len(r.requests) == 6


def test_on_a_worker_the_task_retries_with_the_backoff_countdown(endpoint_for, receiver, monkeypatch):
    from console.tasks import deliver_webhook

    delivery = WebhookDelivery.objects.create(endpoint=endpoint_for(receiver(500).url), event="ping", payload={})
    scheduled = []

    def fake_retry(**options):
        scheduled.append(options)
        return RuntimeError("retry scheduled")

    monkeypatch.setattr(deliver_webhook, "retry", fake_retry)

    with pytest.raises(RuntimeError, match="retry scheduled"):
        deliver_webhook(str(delivery.pk), 1)  # called as a worker would, not eagerly

    assert scheduled == [{"args": (str(delivery.pk), 2), "kwargs": {}, "countdown": 30}]


def test_the_task_gives_up_after_six_attempts(fire, endpoint_for, receiver):
    r = receiver(*[500] * 10)
    endpoint_for(r.url)

    fire()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert len(r.requests) == MAX_ATTEMPTS


def test_attempts_are_idempotent(endpoint_for, receiver):
    r = receiver(500)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint_for(r.url), event="review.decided", payload={})

    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) == 30
    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is None, "a duplicated message"
    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=2) is None
    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=3) is None, "succeeded: nothing more to do"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 2)
    assert len(r.requests) == 2


def test_a_network_error_is_recorded_and_retried(endpoint_for, private_webhook_targets):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint_for(f"http://127.0.0.1:{port}/"), event="review.decided", payload={}
    )

    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) == 30

    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.response_code is None
    assert "ConnectionRefusedError" in delivery.error
    assert delivery.attempt_log[0]["code"] is None
    assert "ConnectionRefusedError" in delivery.attempt_log[0]["error"]


def test_only_the_first_2_kb_of_the_response_are_kept(fire, endpoint_for, receiver):
    endpoint_for(receiver(body=b"x" * 10_000).url)

    fire()

    assert WebhookDelivery.objects.get().response_body == "x" * 2048


def test_a_disabled_endpoint_gets_nothing_more(endpoint_for, receiver):
    r = receiver()
    endpoint = endpoint_for(r.url, active=False)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="review.decided", payload={})

    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == (Status.FAILED, "The endpoint is disabled.")
    assert r.requests == []


def test_ping_and_redeliver_send_new_deliveries(endpoint_for, receiver, owner, django_capture_on_commit_callbacks):
    r = receiver()
    endpoint = endpoint_for(r.url)

    with django_capture_on_commit_callbacks(execute=True):
        ping = webhook_ping(endpoint=endpoint, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        again = webhook_redeliver(delivery=ping, actor=owner)

    ping.refresh_from_db()
    again.refresh_from_db()
    assert (ping.event, ping.status, again.status) == ("ping", Status.SUCCEEDED, Status.SUCCEEDED)
    assert again.redelivery_of == ping
    assert [req["headers"]["X-Console-Event"] for req in r.requests] == ["ping", "ping"]
    assert [req["headers"]["X-Console-Delivery"] for req in r.requests] == [str(ping.pk), str(again.pk)]
    assert r.requests[0]["body"] == r.requests[1]["body"], "same event id and body; receivers can de-duplicate"
    assert list(AuditEvent.objects.filter(action__startswith="webhook.").values_list("action", flat=True)
                .order_by("created_at")) == ["webhook.create", "webhook.ping", "webhook.redeliver"]


def test_stranded_deliveries_are_requeued_with_the_next_attempt(endpoint_for, receiver):
    r = receiver()
    endpoint = endpoint_for(r.url)
    old = timezone.now() - timedelta(hours=1)
    lost = WebhookDelivery.objects.create(endpoint=endpoint, event="review.decided", payload={}, created_at=old)
    crashed = WebhookDelivery.objects.create(
        endpoint=endpoint, event="review.decided", payload={}, attempts=2, last_attempt_at=old, created_at=old
    )
    fresh = WebhookDelivery.objects.create(endpoint=endpoint, event="review.decided", payload={})

    requeued = webhook_deliveries_requeue_stranded()

    assert sorted(requeued) == sorted([str(lost.pk), str(crashed.pk)])
    lost.refresh_from_db()
    crashed.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, lost.attempts) == (Status.SUCCEEDED, 1)
    assert (crashed.status, crashed.attempts) == (Status.SUCCEEDED, 3)
    assert (fresh.status, fresh.attempts) == (Status.PENDING, 0)


# ---------------------------------------------------------------- SSRF guard


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
    "100.64.0.1", "::1", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    # IPv6 addresses that carry an IPv4 one, which a gateway on the way reaches (found by an attack walk):
    "::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:5", "2002:7f00:1::", "::ffff:0:7f00:1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
])
def test_internal_addresses_are_not_public(address):
    assert transport.is_public_address(address) is False


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address):
    assert transport.is_public_address(address) is True


def test_a_name_resolving_to_an_internal_address_is_refused(monkeypatch):
    def fake_getaddrinfo(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(transport.socket, "getaddrinfo", fake_getaddrinfo)

    with pytest.raises(transport.TargetRefused, match="non-public") as refused:
        transport.resolve("https://hooks.example.com/x", allow_private=False)
    assert "10.0.0.5" not in str(refused.value)  # the delivery log would map the organisation's internal names
    assert transport.resolve("https://hooks.example.com/x", allow_private=True) == ("https", 443, "93.184.216.34")


def test_production_refuses_to_deliver_to_loopback(endpoint_for, receiver, production):
    r = receiver()
    endpoint = WebhookEndpoint.objects.create(  # as if saved before a DNS change: the guard runs at delivery
        organisation=endpoint_for("https://h.example.com/").organisation, url=r.url, secret="whsec_x",
        events=["review.decided"],
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="review.decided", payload={})

    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is None

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED, "a refused target is not retried"
    assert "Refused" in delivery.error and "127.0.0.1" in delivery.error
    assert r.requests == []


def test_development_delivers_to_loopback(endpoint_for, receiver):
    r = receiver()
    delivery = WebhookDelivery.objects.create(endpoint=endpoint_for(r.url), event="review.decided", payload={})

    webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1)

    assert len(r.requests) == 1


# ---------------------------------------------------------------- pages


def _urls(org, endpoint, delivery):
    """(method, url) of every webhook page and action."""
    e = (org.slug, endpoint.pk)
    return [
        ("get", reverse("webhooks", args=[org.slug])),
        ("post", reverse("webhooks", args=[org.slug])),
        ("get", reverse("webhook_detail", args=e)),
        ("post", reverse("webhook_detail", args=e)),
        ("post", reverse("webhook_toggle", args=e)),
        ("post", reverse("webhook_delete", args=e)),
        ("post", reverse("webhook_roll_secret", args=e)),
        ("post", reverse("webhook_ping", args=e)),
        ("post", reverse("webhook_redeliver", args=[*e, delivery.pk])),
    ]


PAGE_NAMES = ["list", "create", "detail", "update", "toggle", "delete", "roll_secret", "ping", "redeliver"]


@pytest.fixture
def endpoint_with_delivery(endpoint_for):
    endpoint = endpoint_for("https://hooks.example.com/console")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="review.decided", payload={"id": "e1"}, status=Status.FAILED, attempts=6,
        response_code=500, response_body="oops",
    )
    return endpoint, delivery


@pytest.mark.parametrize("index", range(len(PAGE_NAMES)), ids=PAGE_NAMES)
def test_outsider_gets_404_on_every_webhook_page(client_for, outsider, org, endpoint_with_delivery, index):
    method, url = _urls(org, *endpoint_with_delivery)[index]

    response = getattr(client_for(outsider), method)(url)

    assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint_with_delivery[0].pk, is_active=True).exists()


@pytest.mark.parametrize("index", range(2, len(PAGE_NAMES)), ids=PAGE_NAMES[2:])
def test_another_orgs_endpoint_is_404_for_an_owner(client_for, outsider, other_org, endpoint_with_delivery, index):
    """The outsider owns `other_org`; the endpoint ids of `org` do not exist there."""
    method, url = _urls(other_org, *endpoint_with_delivery)[index]

    assert getattr(client_for(outsider), method)(url).status_code == 404


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.OPERATOR, Role.VIEWER])
@pytest.mark.parametrize("index", range(len(PAGE_NAMES)), ids=PAGE_NAMES)
def test_members_who_cannot_manage_the_org_get_403(client_for, user_with_role, org, endpoint_with_delivery, role, index):
    method, url = _urls(org, *endpoint_with_delivery)[index]

    response = getattr(client_for(user_with_role(role)), method)(url)

    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_see_the_secret_and_the_log(client_for, user_with_role, org, endpoint_with_delivery, role):
    endpoint, delivery = endpoint_with_delivery

    response = client_for(user_with_role(role)).get(reverse("webhook_detail", args=[org.slug, endpoint.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert endpoint.secret in html
    assert str(delivery.pk) in html
    assert "oops" in html


def test_creating_an_endpoint_from_the_page(client_for, owner, org):
    response = client_for(owner).post(reverse("webhooks", args=[org.slug]), {
        "url": "https://hooks.example.com/new", "description": "CI", "events": ["scan.finished", "release.changed"],
    })

    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.com/new")
    assert response.status_code == 302
    assert response.url == reverse("webhook_detail", args=[org.slug, endpoint.pk])
    assert endpoint.events == ["release.changed", "scan.finished"]
    assert endpoint.organisation == org


def test_the_page_refuses_plain_http(client_for, owner, org):
    response = client_for(owner).post(reverse("webhooks", args=[org.slug]), {
        "url": "http://hooks.example.com/new", "events": ["scan.finished"],
    })

    assert response.status_code == 400
    assert "Use an https:// URL." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_disable_enable_and_delete_from_the_page_are_audited(client_for, owner, org, endpoint_with_delivery):
    endpoint, _ = endpoint_with_delivery
    client = client_for(owner)

    client.post(reverse("webhook_toggle", args=[org.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    client.post(reverse("webhook_toggle", args=[org.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_active is True
    response = client.post(reverse("webhook_delete", args=[org.slug, endpoint.pk]))

    assert response.url == reverse("webhooks", args=[org.slug])
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not WebhookDelivery.objects.exists()
    actions = AuditEvent.objects.filter(action__startswith="webhook.").order_by("created_at")
    assert list(actions.values_list("action", flat=True)) == [
        "webhook.create", "webhook.disable", "webhook.enable", "webhook.delete"]


def test_rolling_the_secret_changes_it(client_for, owner, org, endpoint_with_delivery):
    endpoint, _ = endpoint_with_delivery
    old = endpoint.secret

    client_for(owner).post(reverse("webhook_roll_secret", args=[org.slug, endpoint.pk]))

    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    assert AuditEvent.objects.filter(action="webhook.roll_secret", target_id=str(endpoint.pk)).exists()


def test_delivery_log_filters_by_status_and_event(client_for, owner, org, endpoint_with_delivery):
    endpoint, failed = endpoint_with_delivery
    ok = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={}, status=Status.SUCCEEDED)
    url = reverse("webhook_detail", args=[org.slug, endpoint.pk])
    client = client_for(owner)

    def shown(**params):
        return [d.pk for d in client.get(url, params).context["page"].object_list]

    assert shown() == [ok.pk, failed.pk]
    assert shown(status="failed") == [failed.pk]
    assert shown(event="ping") == [ok.pk]
    assert shown(status="failed", event="ping") == []


def test_delivery_log_is_paginated(client_for, owner, org, endpoint_with_delivery):
    endpoint, _ = endpoint_with_delivery
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event="ping", payload={}) for _ in range(24)
    )
    url = reverse("webhook_detail", args=[org.slug, endpoint.pk])

    assert len(client_for(owner).get(url).context["page"].object_list) == 20
    assert len(client_for(owner).get(url, {"page": 2}).context["page"].object_list) == 5


def test_redeliver_button_queues_a_copy(client_for, owner, org, endpoint_with_delivery):
    endpoint, delivery = endpoint_with_delivery

    response = client_for(owner).post(reverse("webhook_redeliver", args=[org.slug, endpoint.pk, delivery.pk]))

    assert response.status_code == 302
    copy = WebhookDelivery.objects.get(redelivery_of=delivery)
    assert (copy.payload, copy.event) == ({"id": "e1"}, "review.decided")


def test_the_test_settings_keep_the_ssrf_guard_on_unless_a_test_opts_out(org, owner):
    """The attack: tests once ran with the SSRF guard off for every test, hiding a guard that never ran."""
    with pytest.raises(ValidationError):
        webhook_endpoint_create(organisation=org, actor=owner, url="http://127.0.0.1:9000/h", events=["scan.finished"])


def test_a_url_with_non_ascii_characters_is_stored_percent_encoded_and_delivered(org, owner, receiver):
    """"…/é?q=ü" was stored as it was; every delivery then crashed in http.client (ASCII only) and stayed
    pending until the stranded-delivery sweep gave up on it."""
    r = receiver()
    endpoint = webhook_endpoint_create(organisation=org, actor=owner, url=f"{r.url}é?q=ü", events=["review.decided"])

    assert endpoint.url == f"{r.url}%C3%A9?q=%C3%BC"
    delivery = webhook_ping(endpoint=endpoint, actor=owner)
    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is None
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED


def test_a_stored_non_ascii_url_is_still_sent(org, owner, receiver):
    r = receiver()
    endpoint = WebhookEndpoint.objects.create(organisation=org, url=f"{r.url}é", secret="whsec_x",
                                              events=["review.decided"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})

    webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1)

    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert r.requests[0]["path"].endswith("%C3%A9")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("action", ["roll", "ping", "update"])
def test_an_action_racing_the_endpoints_deletion_is_a_404_not_a_500(org, owner, action):
    """Found by an attack walk: roll-secret, ping and PATCH racing DELETE failed as 500s (an update of no row, a
    delivery whose endpoint was gone). Each now waits for the endpoint's lock, and finds it deleted or not."""
    from django.http import Http404

    from console.notify.webhooks import webhook_endpoint_delete, webhook_endpoint_roll_secret, webhook_endpoint_update
    from programs.tests.concurrency import race_with

    endpoint = webhook_endpoint_create(organisation=org, actor=owner, url="https://h.example.com/",
                                       events=["review.decided"])
    actions = {
        "roll": lambda e: webhook_endpoint_roll_secret(endpoint=e, actor=owner),
        "ping": lambda e: webhook_ping(endpoint=e, actor=owner),
        "update": lambda e: webhook_endpoint_update(endpoint=e, actor=owner, url="https://h2.example.com/",
                                                    events=["review.decided"]),
    }
    load = lambda: WebhookEndpoint.objects.get(pk=endpoint.pk)  # noqa: E731 - each thread's own stale copy

    for _ in range(3):
        results = race_with((load, actions[action]), (load, lambda e: webhook_endpoint_delete(endpoint=e, actor=owner)))
        assert all(r is None or isinstance(r, WebhookEndpoint | WebhookDelivery | Http404) for r in results), results
        endpoint = webhook_endpoint_create(organisation=org, actor=owner, url="https://h.example.com/",
                                           events=["review.decided"])


def test_the_pages_sixth_ping_in_a_minute_says_to_wait(client_for, owner, org):
    from django.urls import reverse

    endpoint = webhook_endpoint_create(organisation=org, actor=owner, url="https://h.example.com/",
                                       events=["review.decided"])
    client = client_for(owner)
    url = reverse("webhook_ping", args=[org.slug, endpoint.pk])

    for _ in range(5):
        client.post(url)
    sixth = client.post(url, follow=True)

    assert sixth.status_code == 200
    assert "At most 5 test pings a minute" in sixth.content.decode()
    assert WebhookDelivery.objects.count() == 5
