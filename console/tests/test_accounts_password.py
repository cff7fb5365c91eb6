"""Password change (/accounts/password/) and reset by email (/accounts/password/reset/)."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from console.tests.factories import PASSWORD

NEW_PASSWORD = "another-long-passphrase-77"


def test_password_change_sets_the_new_password_and_keeps_the_session(client_for, owner):
    client = client_for(owner)

    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert client.get(reverse("password_change_done")).status_code == 200


def test_password_change_with_wrong_old_password_is_refused(client_for, owner):
    response = client_for(owner).post(reverse("password_change"), {
        "old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_password_change_needs_a_signed_in_user(client, db):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def _reset_link(message) -> str:
    match = re.search(r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_emails_a_link_that_sets_a_new_password(client, owner):
    response = client.post(reverse("password_reset"), {"email": "Owner@acme.test"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@acme.test"]
    assert message.subject == "Reset your mini-program console password"

    form_page = client.get(_reset_link(message), follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    fresh = Client()
    assert fresh.post(reverse("login"), {"username": "owner@acme.test", "password": NEW_PASSWORD}).status_code == 302


def test_password_reset_link_works_only_once(client, owner):
    client.post(reverse("password_reset"), {"email": "owner@acme.test"})
    link = _reset_link(mail.outbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)

    assert again.context["validlink"] is False
    assert "This reset link was already used or has expired." in again.content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@acme.test"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_password_change_is_emailed_to_the_account(client_for, owner, django_capture_on_commit_callbacks):
    client = client_for(owner)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_change"), {
            "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    [message] = mail.outbox
    assert (message.to, message.subject) == (["owner@acme.test"], "Your password was changed")
    assert "The password of your account owner@acme.test was changed." in message.body
    assert "If this was not you, reset your password now:\nhttp://" in message.body


def test_a_password_set_from_a_reset_link_is_emailed_too(client, owner, django_capture_on_commit_callbacks):
    client.post(reverse("password_reset"), {"email": "owner@acme.test"})
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert [m.subject for m in mail.outbox] == ["Reset your mini-program console password", "Your password was changed"]
