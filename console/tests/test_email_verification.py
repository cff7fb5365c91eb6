"""Email verification: a signed, expiring link at sign-up; unverified addresses grant nothing (issue 9)."""

import re
import time

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from console.models import AuditEvent, Membership, User
from console.roles import Role
from console.services import email_verification_token, invitation_accept
from console.tests.factories import UserFactory

SIGN_UP = reverse("sign_up")


def _link(message) -> str:
    return re.search(r"http://testserver(/accounts/verify/[^\s]+/)", message.body).group(1)


@pytest.fixture
def signed_up(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGN_UP, {"email": "New@Example.test", "password": "a-long-unusual-passphrase-42"})
    return User.objects.get(email="new@example.test")


def test_sign_up_leaves_the_address_unconfirmed_and_emails_a_link(client, signed_up):
    assert signed_up.email_verified_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.test"]
    assert mail.outbox[0].subject == "Confirm your email address"
    assert "expires in 3 days" in mail.outbox[0].body


def test_an_unconfirmed_user_signs_in_and_sees_a_banner_with_a_resend_button(client, signed_up):
    response = client.get(reverse("organisation_create"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirm your email address: open the link we sent to new@example.test." in html
    assert reverse("email_verify_resend") in html


def test_opening_the_link_only_asks_so_a_mail_scanner_confirms_nothing(client, signed_up):
    # Mail filters open every link in a message; had the GET confirmed, a scanner at someone else's
    # address would confirm an account signed up with it.
    response = Client().get(_link(mail.outbox[0]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "to confirm that new@example.test is your address" in html
    assert 'method="post"' in html
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None
    assert not AuditEvent.objects.filter(action="user.email_verify").exists()


def test_a_confirmed_address_opening_its_link_again_is_told_so(client, signed_up):
    link = _link(mail.outbox[0])
    client.post(link)

    assert "new@example.test is confirmed already." in client.get(link).content.decode()


def test_the_link_confirms_the_address_and_is_audited(client, signed_up):
    response = client.post(_link(mail.outbox[0]))

    signed_up.refresh_from_db()
    assert signed_up.email_verified_at is not None
    assert response.url == reverse("dashboard")
    assert "Thank you: new@example.test is confirmed." in [str(m) for m in get_messages(response.wsgi_request)]
    event = AuditEvent.objects.get(action="user.email_verify")
    assert (event.actor, event.after) == (signed_up, {"email": "new@example.test", "proof": "link"})


def test_an_expired_link_is_refused(client, signed_up, monkeypatch):
    link = _link(mail.outbox[0])
    later = time.time() + 3 * 24 * 3600 + 5
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)

    response = client.get(link)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    signed_up.refresh_from_db()
    assert signed_up.email_verified_at is None


def test_a_forged_link_is_refused(client, signed_up):
    response = client.get(reverse("email_verify", args=[email_verification_token(signed_up)[:-2] + "xx"]))

    assert response.status_code == 400
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None


def test_a_link_for_an_old_address_does_not_confirm_the_new_one(client, signed_up):
    link = _link(mail.outbox[0])
    User.objects.filter(pk=signed_up.pk).update(email="changed@example.test")

    response = client.get(link)

    assert response.status_code == 400
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None


def test_resending_is_limited_to_three_emails_an_hour(client, signed_up, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            response = client.post(reverse("email_verify_resend"))

    assert len(mail.outbox) == 3  # the sign-up email and two more
    assert "We already sent several links this hour" in [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_accepting_an_emailed_invitation_proves_the_address(db, org, invite):
    user = UserFactory(email="joiner@example.test", email_verified_at=None)
    invitation, _token, _path = invite(org, "joiner@example.test", role=Role.VIEWER)

    invitation_accept(invitation=invitation, user=user)

    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert Membership.objects.get(organisation=org, user=user).role == Role.VIEWER


def test_an_invitation_for_another_address_neither_joins_nor_verifies(db, org, invite):
    from django.core.exceptions import ValidationError

    user = UserFactory(email="someone@example.test", email_verified_at=None)
    invitation, _token, _path = invite(org, "joiner@example.test", role=Role.VIEWER)

    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, user=user)

    user.refresh_from_db()
    assert user.email_verified_at is None
    assert not Membership.objects.filter(user=user).exists()


def test_choosing_a_password_from_the_reset_email_proves_the_address(client, db, django_capture_on_commit_callbacks):
    user = UserFactory(email="forgetful@example.test", email_verified_at=None)
    client.post(reverse("password_reset"), {"email": "forgetful@example.test"})
    path = re.search(r"http://testserver(/accounts/password/reset/[^\s]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(path, follow=True)

    client.post(form_page.redirect_chain[-1][0], {"new_password1": "another-long-phrase-77",
                                                  "new_password2": "another-long-phrase-77"})

    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_pressing_the_button_twice_confirms_and_audits_once(client, signed_up):
    link = _link(mail.outbox[0])

    first, second = client.post(link), client.post(link)

    assert (first.status_code, second.status_code) == (302, 302)
    assert AuditEvent.objects.filter(action="user.email_verify").count() == 1


def test_a_forged_link_confirms_nothing_when_posted_either(signed_up):
    token = email_verification_token(signed_up)[:-2] + "xx"

    response = Client().post(reverse("email_verify", args=[token]))

    assert response.status_code == 400
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None


def test_the_confirmation_is_a_csrf_protected_post(signed_up):
    response = Client(enforce_csrf_checks=True).post(_link(mail.outbox[0]))

    assert response.status_code == 403
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None


def test_the_confirmation_page_does_not_repeat_the_banner_above_its_button(client, signed_up):
    page = client.get(reverse("email_verify", args=[email_verification_token(signed_up)])).content.decode()

    assert "verify-banner" not in page
    assert "verify-banner" in client.get(reverse("organisation_create")).content.decode()
