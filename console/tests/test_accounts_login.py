"""Sign-in by email (/accounts/login/) and sign-out (/accounts/logout/). Lock-out: test_lockout.py."""

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from console.tests.factories import PASSWORD

LOGIN = reverse("login")
_addresses = itertools.count(1)


@pytest.fixture
def web():
    """A client from an address of its own, so per-address counters never leak between tests or workers."""
    return Client(REMOTE_ADDR=f"10.9.{next(_addresses) % 250}.{next(_addresses) % 250}")


def test_login_with_email_and_password_signs_in(web, owner):
    response = web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert web.session["_auth_user_id"] == str(owner.pk)


def test_login_email_is_case_insensitive(web, owner):
    response = web.post(LOGIN, {"username": "Owner@ACME.test", "password": PASSWORD})

    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(owner.pk)


def test_login_with_wrong_password_is_refused(web, owner):
    response = web.post(LOGIN, {"username": "owner@acme.test", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in web.session


@pytest.mark.parametrize("lang, said", [
    ("en", "Please enter a correct email address and password. Note that the password is case-sensitive."),
    ("zh-hans", "请输入正确的邮箱地址和密码。注意，密码区分大小写。"),
])
def test_a_refused_sign_in_says_only_the_password_is_case_sensitive(web, owner, lang, said):
    """Django's message said both fields may be; the email is not (test_login_email_is_case_insensitive)."""
    response = web.post(LOGIN, {"username": "owner@acme.test", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE=lang)

    assert response.context["form"].non_field_errors() == [said]


def test_login_goes_to_a_safe_next_url(web, owner, org):
    target = reverse("members", args=[org.slug])
    response = web.post(LOGIN + f"?next={target}", {"username": "owner@acme.test", "password": PASSWORD, "next": target})

    assert response.url == target


def test_logout_by_post_signs_out(client_for, owner):
    client = client_for(owner)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_logout_by_get_is_not_allowed(client_for, owner):
    client = client_for(owner)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(owner.pk)
