"""Webhook endpoints through the API: create (secret shown), edit, disable, roll the secret, ping, deliveries,
redeliver, delete; the scope, the roles, outsiders."""

import pytest
from rest_framework.test import APIClient

from console.models import AuditEvent, Membership, WebhookDelivery, WebhookEndpoint
from console.roles import Role, Scope
from console.services import api_key_create


def _list(org):
    return f"/api/v1/orgs/{org.slug}/webhooks/"


def _create(api, org, **fields):
    body = {"url": "https://hooks.acme.test/console", "events": ["review.decided", "scan.finished"], **fields}
    return api.post(_list(org), body, format="json")


@pytest.fixture(autouse=True)
def _no_delivery_attempts(monkeypatch):
    """Deliveries are queued, not sent: these tests are about the API, console/tests/test_webhooks.py sends."""
    monkeypatch.setattr("console.notify.webhooks._enqueue", lambda delivery: None)


def test_a_key_adds_an_endpoint_and_gets_its_secret_once(api_with_key, org, owner_key):
    response = _create(api_with_key, org, description="CI bot")

    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(organisation=org)
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["events"] == ["review.decided", "scan.finished"]
    assert (body["url"], body["description"], body["active"]) == ("https://hooks.acme.test/console", "CI bot", True)
    assert response["Location"] == body["href"] == f"http://testserver{_list(org)}{endpoint.pk}/"
    read = api_with_key.get(body["href"]).json()
    assert "secret" not in read
    assert [e["id"] for e in api_with_key.get(_list(org)).json()["results"]] == [endpoint.pk]
    assert owner_key[0].prefix in AuditEvent.objects.get(action="webhook.create").actor_label


def test_patch_changes_only_what_it_names_and_can_disable(api_with_key, org):
    href = _create(api_with_key, org, description="CI bot").json()["href"]

    response = api_with_key.patch(href, {"events": ["release.changed"], "active": False}, format="json")

    assert response.status_code == 200, response.content
    endpoint = WebhookEndpoint.objects.get(organisation=org)
    assert (endpoint.url, endpoint.description, endpoint.events, endpoint.is_active) == (
        "https://hooks.acme.test/console", "CI bot", ["release.changed"], False)
    assert response.json()["active"] is False
    assert {e.action for e in AuditEvent.objects.filter(action__startswith="webhook.")} == {
        "webhook.create", "webhook.update", "webhook.disable"}


@pytest.mark.parametrize("body, field", [
    ({"url": "http://hooks.acme.test/"}, "url"),
    ({"url": "https://user:pw@hooks.acme.test/"}, "url"),
    ({"events": []}, "events"),
    ({"events": ["everything"]}, "events.0"),
    ({"events": "review.decided"}, "events"),
    ({"url": "https://x.test/" + "a" * 500}, "url"),
    ({"url": "https://[x"}, "url"),
    ({"url": "https://hooks.acme.test:99999/"}, "url"),
    ({"url": ""}, "url"),
])
def test_a_bad_endpoint_is_a_field_error_and_changes_nothing(api_with_key, org, body, field):
    href = _create(api_with_key, org).json()["href"]

    created = _create(api_with_key, org, **body)
    edited = api_with_key.patch(href, body, format="json")

    for response in (created, edited):
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]["fields"]
    endpoint = WebhookEndpoint.objects.get(organisation=org)
    assert (endpoint.url, endpoint.events) == ("https://hooks.acme.test/console", ["review.decided", "scan.finished"])


def test_rolling_the_secret_answers_the_new_one(api_with_key, org):
    created = _create(api_with_key, org).json()

    rolled = api_with_key.post(f"{created['href']}roll-secret/")

    assert rolled.status_code == 200
    assert rolled.json()["secret"] != created["secret"]
    assert rolled.json()["secret"] == WebhookEndpoint.objects.get(organisation=org).secret


def test_a_ping_is_queued_listed_and_redelivered(api_with_key, org):
    href = _create(api_with_key, org).json()["href"]

    ping = api_with_key.post(f"{href}ping/")

    assert ping.status_code == 202, ping.content
    assert (ping.json()["event"], ping.json()["status"], ping.json()["redelivery_of"]) == ("ping", "pending", None)
    listed = api_with_key.get(f"{href}deliveries/", {"event": "ping"}).json()["results"]
    assert [d["id"] for d in listed] == [ping.json()["id"]]
    assert api_with_key.get(f"{href}deliveries/", {"status": "failed"}).json()["results"] == []

    again = api_with_key.post(f"{href}deliveries/{ping.json()['id']}/redeliver/")

    assert again.status_code == 202
    assert again.json()["redelivery_of"] == ping.json()["id"]
    assert again.json()["payload"]["id"] == ping.json()["payload"]["id"]  # the same event, sent again
    assert WebhookDelivery.objects.count() == 2


def test_deleting_an_endpoint_is_204_then_404(api_with_key, org):
    href = _create(api_with_key, org).json()["href"]

    assert api_with_key.delete(href).status_code == 204
    assert api_with_key.get(href).status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_a_delivery_of_another_endpoint_is_404_here(api_with_key, org):
    first = _create(api_with_key, org).json()["href"]
    second = _create(api_with_key, org).json()["href"]
    ping = api_with_key.post(f"{first}ping/").json()

    response = api_with_key.post(f"{second}deliveries/{ping['id']}/redeliver/")

    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_a_key_without_the_scope_gets_403_and_changes_nothing(api, org, owner):
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="ci",
                            scopes=[Scope.PROGRAMS_WRITE, Scope.ORG_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    listed, created = api.get(_list(org)), _create(api, org)

    assert (listed.status_code, created.status_code) == (403, 403)
    assert "webhooks:write" in created.json()["error"]["message"]
    assert not WebhookEndpoint.objects.exists()


def test_a_developer_cannot_manage_webhooks(org, member):
    client = APIClient()
    client.force_authenticate(member)

    assert client.get(_list(org)).status_code == 403
    assert _create(client, org).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_an_outsider_and_their_key_get_404_everywhere_and_change_nothing(api_with_key, api, org, outsider,
                                                                         other_org):
    created = _create(api_with_key, org).json()
    href = created["href"]
    ping = api_with_key.post(f"{href}ping/").json()
    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x", scopes=[Scope.WEBHOOKS_WRITE])
    session = APIClient()
    session.force_authenticate(outsider)
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for client in (session, keyed):
        answers = [
            client.get(_list(org)), _create(client, org), client.get(href),
            client.patch(href, {"url": "https://evil.test/"}, format="json"), client.delete(href),
            client.post(f"{href}roll-secret/"), client.post(f"{href}ping/"), client.get(f"{href}deliveries/"),
            client.post(f"{href}deliveries/{ping['id']}/redeliver/"),
        ]
        assert [a.status_code for a in answers] == [404] * len(answers)
        assert all("whsec_" not in a.content.decode() for a in answers)
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.secret) == ("https://hooks.acme.test/console", created["secret"])
    assert WebhookDelivery.objects.count() == 1


def test_an_admin_session_manages_webhooks(org, django_user_model):
    admin = django_user_model.objects.create_user(email="ada@acme.test", password="x-9-long-password")
    Membership.objects.create(organisation=org, user=admin, role=Role.ADMIN)
    client = APIClient()
    client.force_authenticate(admin)

    assert _create(client, org).status_code == 201


def test_an_endpoint_can_be_created_paused(api_with_key, org):
    response = _create(api_with_key, org, active=False)

    assert response.status_code == 201, response.content
    assert response.json()["active"] is False
    assert WebhookEndpoint.objects.get().is_active is False
    assert AuditEvent.objects.get(action="webhook.create").after["active"] is False


def test_an_organisation_has_at_most_20_endpoints(api_with_key, org):
    from console.notify.webhooks import ENDPOINTS_PER_ORGANISATION

    for n in range(ENDPOINTS_PER_ORGANISATION):
        assert _create(api_with_key, org, description=str(n)).status_code == 201

    refused = _create(api_with_key, org)

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "limit_reached"
    assert WebhookEndpoint.objects.count() == ENDPOINTS_PER_ORGANISATION


def test_pings_are_limited_to_5_a_minute_per_endpoint(api_with_key, org):
    href = _create(api_with_key, org).json()["href"]

    answers = [api_with_key.post(f"{href}ping/") for _ in range(6)]

    assert [a.status_code for a in answers] == [202] * 5 + [409]
    assert WebhookDelivery.objects.count() == 5
    assert 50 <= int(answers[5]["Retry-After"]) <= 60
