"""Host API credentials: created with the secret shown once, two active at most, revocable, audited."""

import pytest
from django.core.exceptions import ValidationError

from console.models import AuditEvent
from console.tests.factories import UserFactory
from hosts.models import HostCredential
from hosts.services import (
    CREDENTIAL_CREATE,
    CREDENTIAL_RATE_LIMIT,
    CREDENTIAL_REVOKE,
    credential_create,
    credential_revoke,
    demo_credential,
)


@pytest.fixture
def admin_user_(db):
    return UserFactory(email="root@platform.test", is_staff=True, is_superuser=True)


def test_create_returns_the_secret_and_audits_without_it(weibo, admin_user_):
    credential, secret = credential_create(host=weibo, actor=admin_user_, name="production")

    assert credential.key_id.startswith("hk_") and len(credential.key_id) == 19
    assert secret.startswith("hs_") and len(secret) > 40
    event = AuditEvent.objects.get(action=CREDENTIAL_CREATE)
    assert (event.actor, event.target_id) == (admin_user_, str(credential.pk))
    assert event.after == {"host": "weibo", "key_id": credential.key_id, "name": "production"}
    assert secret not in str(event.after)


def test_two_credentials_are_active_at_most_so_rotation_revokes_the_old_one(weibo, admin_user_):
    old, _ = credential_create(host=weibo, actor=admin_user_, name="2025")
    credential_create(host=weibo, actor=admin_user_, name="2026")

    with pytest.raises(ValidationError, match="revoke the one you are rotating away from"):
        credential_create(host=weibo, actor=admin_user_, name="one too many")
    credential_revoke(credential=old, actor=admin_user_)
    third, _ = credential_create(host=weibo, actor=admin_user_, name="2027")

    assert HostCredential.objects.filter(host=weibo, revoked_at=None).count() == 2
    assert third.is_active and not HostCredential.objects.get(pk=old.pk).is_active


def test_the_limit_is_per_host(weibo, alipay, admin_user_):
    credential_create(host=weibo, actor=admin_user_, name="a")
    credential_create(host=weibo, actor=admin_user_, name="b")

    assert credential_create(host=alipay, actor=admin_user_, name="a")[0].host == alipay


def test_revoking_twice_records_one_event(weibo, admin_user_):
    credential, _ = credential_create(host=weibo, actor=admin_user_, name="x")

    credential_revoke(credential=credential, actor=admin_user_)
    credential_revoke(credential=credential, actor=admin_user_)

    assert AuditEvent.objects.filter(action=CREDENTIAL_REVOKE).count() == 1
    assert credential.revoked_at is not None and credential.revoked_by == admin_user_


def test_the_demo_credential_is_the_same_every_time_and_comes_back_when_revoked(weibo):
    first, secret = demo_credential(host=weibo)
    credential_revoke(credential=first, actor=None)

    again, secret_again = demo_credential(host=weibo)

    assert (again.pk, secret_again) == (first.pk, secret)
    assert HostCredential.objects.get(pk=first.pk).is_active


def test_the_demo_credential_changes_with_the_secret_key(weibo, settings):
    first, secret = demo_credential(host=weibo)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

    other, other_secret = demo_credential(host=weibo)

    assert other.key_id != first.key_id and other_secret != secret


# ---------------------------------------------------------------- admin site


def test_admin_creates_a_credential_and_shows_the_secret_once(client, admin_user_, weibo):
    client.force_login(admin_user_)

    response = client.post("/admin/hosts/hostcredential/add/", {"host": weibo.pk, "name": "production"}, follow=True)

    credential = HostCredential.objects.get(name="production")
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) >= 1 and credential.key_id in shown[0] and credential.secret in shown[0]
    page = client.get(f"/admin/hosts/hostcredential/{credential.pk}/change/").content.decode()
    assert credential.key_id in page and credential.secret not in page
    assert AuditEvent.objects.filter(action=CREDENTIAL_CREATE, actor=admin_user_).count() == 1


def test_admin_refuses_a_third_active_credential_with_a_message(client, admin_user_, weibo):
    client.force_login(admin_user_)
    for name in ("a", "b"):
        credential_create(host=weibo, actor=admin_user_, name=name)

    response = client.post("/admin/hosts/hostcredential/add/", {"host": weibo.pk, "name": "c"}, follow=True)

    assert "already has 2 active credentials" in response.content.decode()
    assert HostCredential.objects.filter(host=weibo).count() == 2


def test_admin_revokes_through_the_action_and_cannot_delete(client, admin_user_, weibo):
    client.force_login(admin_user_)
    credential, _ = credential_create(host=weibo, actor=admin_user_, name="a")

    client.post("/admin/hosts/hostcredential/", {"action": "revoke", "_selected_action": [credential.pk]})

    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert AuditEvent.objects.filter(action=CREDENTIAL_REVOKE, actor=admin_user_).count() == 1
    assert client.get(f"/admin/hosts/hostcredential/{credential.pk}/delete/").status_code in (302, 403)


def test_admin_changes_only_the_rate_limit_and_audits_it(client, admin_user_, weibo):
    client.force_login(admin_user_)
    credential, _ = credential_create(host=weibo, actor=admin_user_, name="a")

    client.post(f"/admin/hosts/hostcredential/{credential.pk}/change/",
                {"requests_per_minute": "120", "host": weibo.pk, "name": "renamed"})

    credential.refresh_from_db()
    assert (credential.requests_per_minute, credential.name) == (120, "a")
    event = AuditEvent.objects.get(action=CREDENTIAL_RATE_LIMIT)
    assert (event.before, event.after) == ({"requests_per_minute": None}, {"requests_per_minute": 120})
