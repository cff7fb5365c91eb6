"""Host credential and webhook secrets are sealed at rest; SECRET_KEY can rotate without losing them."""

import logging
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from console.models import WebhookDelivery, WebhookEndpoint
from console.notify.webhooks import webhook_endpoint_create, webhook_ping
from console.sealing import TOKEN_PREFIX, seal_column, unseal_column
from hosts.models import HostCredential
from hosts.selectors import forget_cached_credentials
from hosts.tests.fixtures import *  # noqa: F403 - weibo, weibo_credential, weibo_client

SHARE = "/api/v1/hosts/weibo/share-checks/"
ASK = {"appid": "2025000000000001", "scene": "weibo.nowhere", "user": "u-1"}


def _stored(table: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def endpoint(org, owner) -> WebhookEndpoint:
    return webhook_endpoint_create(organisation=org, actor=owner, url="https://hooks.example.com/x",
                                   events=["review.decided"])


def test_the_database_holds_tokens_and_the_models_the_secrets(weibo_credential, endpoint):
    credential, secret = weibo_credential
    stored = _stored("hosts_hostcredential", credential.pk)

    assert stored.startswith(TOKEN_PREFIX) and secret not in stored
    assert HostCredential.objects.get(pk=credential.pk).secret == secret
    webhook_stored = _stored("console_webhookendpoint", endpoint.pk)
    assert webhook_stored.startswith(TOKEN_PREFIX) and endpoint.secret not in webhook_stored
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret
    assert _stored("hosts_hostcredential", credential.pk) != _stored_again(credential), "sealing is randomised"


def _stored_again(credential) -> str:
    credential.save(update_fields=["secret"])
    return _stored("hosts_hostcredential", credential.pk)


def test_secret_key_rotation_with_a_fallback_and_a_reseal(weibo_credential, weibo_client, endpoint, settings):
    credential, secret = weibo_credential
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old_key]
    forget_cached_credentials()
    assert weibo_client.post(SHARE, ASK).status_code == 200, "the fallback still opens the old seal"

    out = _reseal()
    assert "hosts.HostCredential.secret: 1 re-sealed" in out
    assert "console.WebhookEndpoint.secret: 1 re-sealed" in out

    settings.SECRET_KEY_FALLBACKS = []  # the last step of the rotation
    forget_cached_credentials()
    assert HostCredential.objects.get(pk=credential.pk).secret == secret
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret
    assert weibo_client.post(SHARE, ASK).status_code == 200


def _reseal() -> str:
    from io import StringIO

    out = StringIO()
    call_command("reseal_secrets", stdout=out)
    return out.getvalue()


def test_a_lost_key_refuses_host_calls_and_deliveries_and_never_signs_with_nothing(
        weibo_credential, weibo_client, endpoint, owner, settings, caplog, django_capture_on_commit_callbacks):
    credential, _ = weibo_credential
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "an-unrelated-key-" + "y" * 40, []
    forget_cached_credentials()

    with caplog.at_level(logging.ERROR, logger="console.fields"):
        assert HostCredential.objects.get(pk=credential.pk).secret is None
        response = weibo_client.post(SHARE, ASK)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
    assert "cannot be unsealed" in caplog.text
    assert weibo_client.post(SHARE, ASK, secret="").status_code == 401, "an empty key signs nothing"

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_ping(endpoint=WebhookEndpoint.objects.get(pk=endpoint.pk), actor=owner)
    delivery.refresh_from_db()
    assert delivery.status != WebhookDelivery.Status.SUCCEEDED
    assert "signing secret cannot be read" in delivery.attempt_log[-1]["error"]


def test_reseal_without_the_old_key_changes_nothing(weibo_credential, settings):
    credential, _ = weibo_credential
    before = _stored("hosts_hostcredential", credential.pk)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "an-unrelated-key-" + "z" * 40, []

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("reseal_secrets")
    assert _stored("hosts_hostcredential", credential.pk) == before


def test_the_migration_seals_plain_secrets_and_its_reverse_opens_them(weibo_credential):
    credential, secret = weibo_credential
    editor = SimpleNamespace(connection=connection)
    unseal_column(editor, "hosts_hostcredential")  # as before the migration: plain text
    assert _stored("hosts_hostcredential", credential.pk) == secret

    seal_column(editor, "hosts_hostcredential")
    assert _stored("hosts_hostcredential", credential.pk).startswith(TOKEN_PREFIX)
    assert HostCredential.objects.get(pk=credential.pk).secret == secret
    seal_column(editor, "hosts_hostcredential")  # run twice (a re-applied migration): sealed once, not twice
    assert HostCredential.objects.get(pk=credential.pk).secret == secret
