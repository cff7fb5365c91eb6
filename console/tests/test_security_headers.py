"""Security headers on pages and CSRF protection of forms."""

import pytest
from django.test import Client
from django.urls import reverse

from console.models import Organisation


@pytest.mark.parametrize("url_name", ["login", "sign_up", "password_reset"])
def test_public_pages_send_csp_and_frame_headers(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_portal_pages_send_the_same_headers(client_for, owner, org):
    response = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug]))

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_pages_load_scripts_only_from_this_site(client_for, owner, org):
    html = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug])).content.decode()

    assert "<script>" not in html
    assert 'src="http' not in html
    assert 'href="http' not in html.split("<body")[0]


def test_post_without_a_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(reverse("organisation_create"), {"name": "Forged", "kind": "individual"})

    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Forged").exists()


def test_post_with_the_csrf_token_from_the_form_is_accepted(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get(reverse("organisation_create"))
    token = page.context["csrf_token"]

    response = client.post(reverse("organisation_create"), {"name": "Genuine", "kind": "individual",
                                                            "csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302
    assert Organisation.objects.filter(name="Genuine").exists()


def test_login_form_is_csrf_protected(owner):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "owner@acme.test", "password": "correct-horse-battery-9"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_session_api_writes_need_csrf_but_key_calls_do_not(owner, owner_key):
    from rest_framework.test import APIClient

    session = APIClient(enforce_csrf_checks=True)
    session.force_login(owner)
    keyed = APIClient(enforce_csrf_checks=True)
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")

    refused = session.post(reverse("api_me"))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith("CSRF check failed")
    assert "X-CSRFToken" in refused.json()["error"]["message"]
    assert keyed.post(reverse("api_me")).status_code == 405


def test_the_apis_csrf_and_key_refusals_are_in_the_readers_language(owner, db):
    """DRF's CSRF refusal and our key refusals were English under Accept-Language: zh-hans."""
    from rest_framework.test import APIClient

    session = APIClient(enforce_csrf_checks=True)
    session.force_login(owner)
    anonymous = APIClient()

    csrf = session.post(reverse("api_me"), HTTP_ACCEPT_LANGUAGE="zh-hans").json()["error"]["message"]
    bad_key = anonymous.get(reverse("api_me"), HTTP_ACCEPT_LANGUAGE="zh-hans",
                            HTTP_AUTHORIZATION="Bearer mpk_not-a-key").json()["error"]["message"]
    bad_header = anonymous.get(reverse("api_me"), HTTP_ACCEPT_LANGUAGE="zh-hans",
                               HTTP_AUTHORIZATION="Bearer two parts").json()["error"]["message"]

    assert "X-CSRFToken" in csrf and "CSRF check failed" not in csrf
    assert bad_key == "此 API 密钥无效或已被撤销。"
    assert "Bearer <key>" in bad_header and "Authorization" in bad_header and "must" not in bad_header


def test_session_cookie_is_http_only(client, owner):
    client.post(reverse("login"), {"username": "owner@acme.test", "password": "correct-horse-battery-9"})

    assert client.cookies["sessionid"]["httponly"] is True
    assert client.cookies["sessionid"]["samesite"] == "Lax"
