"""Sign-up: /accounts/signup/."""

import pytest
from django.urls import reverse

from console.models import AuditEvent, User

SIGNUP = reverse("sign_up")


@pytest.fixture
def signup_data():
    return {"full_name": "Nina New", "email": "Nina@Example.test", "password": "a-long-unusual-passphrase-42"}


def test_sign_up_creates_user_and_logs_them_in(client, db, signup_data):
    response = client.post(SIGNUP, signup_data)

    assert response.status_code == 302
    assert response.url == reverse("organisation_create")
    user = User.objects.get()
    assert user.email == "nina@example.test"
    assert user.full_name == "Nina New"
    assert user.check_password("a-long-unusual-passphrase-42")
    assert user.language == "en"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_up_records_an_audit_event(client, db, signup_data):
    client.post(SIGNUP, signup_data)

    event = AuditEvent.objects.get(action="user.sign_up")
    assert event.after == {"email": "nina@example.test"}
    assert event.actor == User.objects.get()
    assert event.organisation is None


def test_sign_up_follows_a_safe_next_url(client, db, signup_data):
    response = client.post(SIGNUP + "?next=/invitations/abc/", {**signup_data, "next": "/invitations/abc/"})

    assert response.status_code == 302
    assert response.url == "/invitations/abc/"


def test_sign_up_ignores_an_offsite_next_url(client, db, signup_data):
    response = client.post(SIGNUP, {**signup_data, "next": "https://evil.test/phish"})

    assert response.url == reverse("organisation_create")


@pytest.mark.parametrize("email", ["owner@acme.test", "OWNER@Acme.Test"])
def test_duplicate_email_is_refused_with_a_field_error(client, owner, email):
    response = client.post(SIGNUP, {"email": email, "password": "a-long-unusual-passphrase-42"})

    assert response.status_code == 200
    assert "An account with this email address already exists." in response.context["form"].errors["email"]
    assert User.objects.filter(email__iexact="owner@acme.test").count() == 1
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "password, message",
    [
        ("password", "This password is too common."),
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("4815162342", "This password is entirely numeric."),
    ],
)
def test_weak_password_is_refused(client, db, password, message):
    response = client.post(SIGNUP, {"email": "weak@example.test", "password": password})

    assert response.status_code == 200
    assert message in response.context["form"].errors["password"]
    assert not User.objects.filter(email="weak@example.test").exists()


def test_signed_in_user_is_sent_to_the_dashboard(client_for, owner):
    response = client_for(owner).get(SIGNUP)

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_a_full_name_with_a_right_to_left_override_is_refused(client, db, signup_data):
    response = client.post(SIGNUP, {**signup_data, "full_name": "Nina\u202eweN"})

    assert response.status_code == 200
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.context["form"].errors["full_name"][0]
    assert not User.objects.exists()
