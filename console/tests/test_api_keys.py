"""API keys: the page (/orgs/<slug>/api-keys/), the services, shown once, stored hashed, scoped by role."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from console.models import ApiKey, AuditEvent
from console.roles import Role
from console.services import API_KEY_PREFIX, api_key_authenticate, api_key_create, api_key_revoke


def _create_on_page(client, org, name="CI pipeline", scopes=("org:read", "programs:write")):
    return client.post(reverse("api_keys", args=[org.slug]), {"name": name, "scopes": list(scopes)}, follow=True)


def test_creating_a_key_shows_the_raw_key_once(client_for, owner, org):
    client = client_for(owner)

    response = _create_on_page(client, org)

    assert response.status_code == 200
    raw = response.context["raw_key"]
    key = response.context["new_key"]
    assert raw.startswith(f"{API_KEY_PREFIX}{key.prefix}_")
    assert len(raw) > 50
    assert raw in response.content.decode()
    listing = client.get(reverse("api_keys", args=[org.slug])).content.decode()
    assert f"mpk_{key.prefix}_" in listing
    assert raw not in listing
    assert raw.split("_", 2)[2] not in listing


def test_reloading_the_created_page_makes_no_second_key_and_shows_no_secret(client_for, owner, org):
    """The secret was the answer to the POST: reloading it posted again and made another key."""
    client = client_for(owner)
    shown = _create_on_page(client, org)
    created_url = shown.redirect_chain[-1][0]

    again = client.get(created_url, follow=True)

    assert shown["Cache-Control"] == "no-store"
    assert ApiKey.objects.count() == 1
    assert again.redirect_chain[-1][0] == reverse("api_keys", args=[org.slug])
    assert shown.context["raw_key"] not in again.content.decode()
    assert "was shown once, when it was created, and cannot be shown again" in again.content.decode()


def test_another_organisations_created_page_is_404(client_for, owner, org, other_org):
    from console.tests.factories import MembershipFactory, UserFactory

    stranger = MembershipFactory(organisation=other_org, role=Role.OWNER, user=UserFactory()).user
    created_url = _create_on_page(client_for(owner), org).redirect_chain[-1][0]

    assert client_for(stranger).get(created_url).status_code == 404
    assert client_for(stranger).get(created_url.replace(org.slug, other_org.slug)).status_code == 404


def test_the_raw_key_is_not_stored_only_its_sha256(client_for, owner, org):
    response = _create_on_page(client_for(owner), org)
    raw = response.context["raw_key"]

    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(value) for value in ApiKey.objects.values().get().values()]
    assert not any(raw in value or raw.split("_", 2)[2] in value for value in stored)
    for event in AuditEvent.objects.all():
        assert raw not in f"{event.before} {event.after} {event.target_label}"


def test_created_key_has_the_chosen_scopes_and_is_audited(client_for, owner, org):
    _create_on_page(client_for(owner), org, scopes=["stats:read", "org:read"])

    key = ApiKey.objects.get()
    assert key.scopes == ["org:read", "stats:read"]
    assert key.created_by == owner
    assert key.organisation == org
    event = AuditEvent.objects.get(action="api_key.create")
    assert event.after == {"name": "CI pipeline", "scopes": ["org:read", "stats:read"], "prefix": key.prefix}


def test_a_key_needs_at_least_one_scope(client_for, owner, org):
    response = _create_on_page(client_for(owner), org, scopes=[])

    assert response.status_code == 200
    assert response.context["form"].errors["scopes"] == ["Tick at least one scope: a key without one can do nothing."]
    assert not ApiKey.objects.exists()


def test_each_key_gets_its_own_secret_and_prefix(org, owner):
    first = api_key_create(org=org, user=owner, role=Role.OWNER, name="a", scopes=["org:read"])
    second = api_key_create(org=org, user=owner, role=Role.OWNER, name="b", scopes=["org:read"])

    assert first[1] != second[1]
    assert first[0].prefix != second[0].prefix


@pytest.mark.parametrize(
    "role, refused",
    [
        (Role.DEVELOPER, "distribution:write"),
        (Role.OPERATOR, "programs:write"),
        (Role.VIEWER, "stats:read"),
        (Role.VIEWER, "programs:write"),
    ],
)
def test_a_role_cannot_grant_scopes_beyond_its_capabilities(org, member, role, refused):
    with pytest.raises(ValidationError) as error:
        api_key_create(org=org, user=member, role=role, name="x", scopes=["org:read", refused])

    assert error.value.message_dict == {"scopes": [f"Your role cannot grant: {refused}"]}
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "role, scopes",
    [
        (Role.DEVELOPER, ["org:read", "programs:read", "programs:write", "stats:read"]),
        (Role.OPERATOR, ["distribution:write", "org:read", "stats:read"]),
        (Role.VIEWER, ["org:read", "programs:read"]),
    ],
)
def test_a_role_may_grant_the_scopes_it_holds(org, member, role, scopes):
    key, _ = api_key_create(org=org, user=member, role=role, name="x", scopes=scopes)

    assert key.scopes == sorted(scopes)


def test_the_page_offers_only_scopes_the_role_may_grant(client_for, admin_member, org):
    response = client_for(admin_member).get(reverse("api_keys", args=[org.slug]))

    offered = [value for value, _ in response.context["form"].fields["scopes"].choices]
    assert offered == ["org:read", "programs:read", "programs:write", "distribution:write", "stats:read",
                       "webhooks:write", "members:write", "api_keys:write"]


def test_a_scope_not_offered_is_refused_by_the_form(client_for, owner, org):
    response = _create_on_page(client_for(owner), org, scopes=["org:read", "admin:everything"])

    assert "scopes" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_revoking_on_the_page_makes_the_key_fail(client_for, owner, org, owner_key, api):
    key, raw = owner_key

    response = client_for(owner).post(reverse("api_key_revoke", args=[org.slug, key.pk]))

    assert response.url == reverse("api_keys", args=[org.slug])
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.is_active is False
    answer = api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 401
    assert answer.json() == {"error": {
        "code": "authentication_failed", "fields": {},
        "message": f"This API key was revoked at {key.revoked_at:%Y-%m-%d %H:%M} UTC; create a new one on the "
                   "organisation's API keys page and use it instead."}}
    in_chinese = api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert in_chinese.json()["error"]["message"] == (  # API 密钥 is a menu item of its own, not under 设置
        f"此 API 密钥已于 UTC {key.revoked_at:%Y-%m-%d %H:%M} 撤销；请在组织的“API 密钥”页面新建一个并改用它。")
    event = AuditEvent.objects.get(action="api_key.revoke")
    assert event.before == {"name": "CI", "prefix": key.prefix}


def test_revoking_twice_keeps_the_first_time_and_audits_once(org, owner, owner_key):
    key = owner_key[0]
    api_key_revoke(api_key=key, actor=owner)
    first = ApiKey.objects.get(pk=key.pk).revoked_at

    api_key_revoke(api_key=key, actor=owner)

    assert ApiKey.objects.get(pk=key.pk).revoked_at == first
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1


def test_revoking_a_key_of_another_organisation_is_404(client_for, owner, org, outsider, other_org):
    theirs, _ = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x", scopes=["org:read"])

    response = client_for(owner).post(reverse("api_key_revoke", args=[org.slug, theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_using_a_key_sets_last_used_at(org, owner_key, api):
    key, raw = owner_key
    assert key.last_used_at is None

    api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    key.refresh_from_db()
    assert key.last_used_at is not None
    assert timezone.now() - key.last_used_at < timedelta(seconds=10)


def test_last_used_at_is_written_at_most_once_a_minute(org, owner_key):
    key, raw = owner_key
    recent = timezone.now() - timedelta(seconds=20)
    stale = timezone.now() - timedelta(minutes=5)

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=recent)
    api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == recent

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=stale)
    api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > stale + timedelta(minutes=4)


@pytest.mark.parametrize("mangle", [
    lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),   # right prefix, wrong secret
    lambda raw: raw.replace("mpk_", "xyz_", 1),                 # wrong key type
    lambda raw: raw.split("_", 2)[0] + "_" + raw.split("_", 2)[1],  # prefix only
    lambda raw: "",
])
def test_authenticate_refuses_anything_but_the_exact_key(owner_key, mangle):
    assert api_key_authenticate(mangle(owner_key[1])) is None
    assert api_key_authenticate(owner_key[1]) == owner_key[0]
