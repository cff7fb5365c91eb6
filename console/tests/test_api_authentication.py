"""Bearer-key authentication of the JSON API and how a key is confined to its organisation and scopes."""

import pytest
from django.urls import reverse

from console.models import Membership
from console.roles import Role
from console.services import api_key_create

ME = reverse("api_me")


def _audit_url(org):
    return reverse("api_audit_events", args=[org.slug])


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_me_with_a_key_names_the_creator_and_only_the_keys_organisation(api_with_key, owner, org, other_org):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.VIEWER)

    response = api_with_key.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "owner@acme.test"
    assert body["full_name"] == "Olive Owner"
    assert body["organisations"] == [
        {"slug": "acme-apps", "name": "Acme Apps", "kind": "enterprise", "verified": False, "role": "owner"}]
    assert body["api_key"]["name"] == "CI"
    assert body["api_key"]["scopes"] == sorted(body["api_key"]["scopes"])
    assert len(body["api_key"]["scopes"]) == 8


def test_me_with_the_session_lists_every_organisation(client_for, owner, org, other_org):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.VIEWER)

    body = client_for(owner).get(ME).json()

    assert [(o["slug"], o["role"]) for o in body["organisations"]] == [("acme-apps", "owner"), ("evil-corp", "viewer")]
    assert body["api_key"] is None


def test_anonymous_call_is_401_with_the_error_shape(api, db):
    response = api.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert _error(response) == {
        "code": "not_authenticated", "message": "Authentication credentials were not provided.", "fields": {}}


@pytest.mark.parametrize(
    "header, code",
    [
        ("Bearer", "authentication_failed"),
        ("Bearer ", "authentication_failed"),
        ("Bearer two parts", "authentication_failed"),
        ("Token {key}", "not_authenticated"),
        ("Basic {key}", "not_authenticated"),
        ("{key}", "not_authenticated"),
        ("   ", "not_authenticated"),
        ("Bearer garbage", "authentication_failed"),
        ("Bearer mpk_", "authentication_failed"),
        ("Bearer mpk_deadbeef0000_notthesecret", "authentication_failed"),
        ("Bearer {key}x", "authentication_failed"),
    ],
)
def test_bad_authorization_headers_are_401(api, owner_key, header, code):
    response = api.get(ME, HTTP_AUTHORIZATION=header.format(key=owner_key[1]))

    assert response.status_code == 401
    assert _error(response)["code"] == code


def test_the_scheme_name_is_case_insensitive(api, owner_key):
    response = api.get(ME, HTTP_AUTHORIZATION=f"bearer {owner_key[1]}")

    assert response.status_code == 200
    assert response.json()["api_key"]["prefix"] == owner_key[0].prefix


def test_a_key_of_a_disabled_account_is_refused(api, owner, owner_key):
    owner.is_active = False
    owner.save()

    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")

    assert response.status_code == 401
    assert _error(response)["message"] == "The account that created this API key is disabled."


def test_a_bad_key_is_refused_even_with_a_valid_session(client_for, owner, org):
    client = client_for(owner)

    response = client.get(ME, HTTP_AUTHORIZATION="Bearer mpk_nope_nope")

    assert response.status_code == 401


def test_key_reaches_its_own_organisations_audit_log(api_with_key, org):
    response = api_with_key.get(_audit_url(org))

    assert response.status_code == 200
    assert response.json()["count"] >= 2


def test_key_of_one_org_gets_404_on_another_org_even_if_its_creator_is_a_member(api_with_key, owner, org, other_org,
                                                                                   client_for):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.OWNER)
    assert client_for(owner).get(_audit_url(other_org)).status_code == 200, "the session reaches B"

    response = api_with_key.get(_audit_url(other_org))

    assert response.status_code == 404
    assert _error(response) == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_key_gets_the_same_404_for_a_missing_organisation(api_with_key, org):
    response = api_with_key.get(reverse("api_audit_events", args=["no-such-org"]))

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_key_without_the_scope_is_403(api, owner, org):
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="stats only", scopes=["stats:read"])

    response = api.get(_audit_url(org), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403
    assert _error(response) == {
        "code": "permission_denied", "message": "This API key lacks the scope 'org:read'.", "fields": {}}


def test_a_key_stops_working_in_the_org_when_its_creator_leaves(api, org, member, owner):
    _, raw = api_key_create(org=org, user=member, role=Role.DEVELOPER, name="dev", scopes=["org:read"])
    Membership.objects.filter(organisation=org, user=member).delete()  # e.g. removed through the admin site

    response = api.get(_audit_url(org), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 404


@pytest.mark.parametrize("scheme", ["Token", "token", "Basic", "ApiKey"])
def test_another_scheme_says_to_use_bearer(api, owner_key, scheme):
    """`Token <key>` (DRF's own scheme) was answered "credentials were not provided", which misleads."""
    api.credentials(HTTP_AUTHORIZATION=f"{scheme} {owner_key[1]}")

    response = api.get(ME)

    assert response.status_code == 401
    error = _error(response)
    assert error["code"] == "not_authenticated"
    assert error["message"] == (f'This API does not read the "{scheme}" scheme: send the key as '
                                '"Authorization: Bearer <key>".')


def test_a_session_is_not_refused_for_another_authorization_scheme(client_for, owner, org):
    """A proxy's Basic authentication in front of the console must not break the session's API calls."""
    response = client_for(owner).get(ME, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert response.status_code == 200


def test_a_key_without_the_scope_is_told_so_in_its_language(api, owner, org):
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="stats only", scopes=["stats:read"])

    response = api.get(_audit_url(org), HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert _error(response)["message"] == "此 API 密钥缺少权限范围“org:read”。"
