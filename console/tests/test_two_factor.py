"""Two-factor sign-in (django-otp, console/twofactor/): required for platform staff on every page, the admin
site and session API calls; offered to everyone; recovery codes; API keys are not subject to it."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.models import AuditEvent
from console.roles import Role, StaffGroup, scopes_for_role
from console.services import api_key_create
from console.tests.factories import PASSWORD, MembershipFactory, UserFactory
from console.tests.otp import authenticator_for, login_without_second_factor, next_code
from console.twofactor import services
from console.twofactor.services import totp_now

VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")


@pytest.fixture
def reviewer(db):
    user = UserFactory(email="riley@platform.test")
    user.groups.add(Group.objects.get_or_create(name=StaffGroup.REVIEWERS)[0])
    return user


@pytest.fixture
def enrolled_reviewer(reviewer):
    authenticator_for(reviewer)
    services._new_recovery_codes(reviewer)  # noqa: SLF001 - the state an enrolment leaves, without its steps
    return reviewer


def _sign_in(client, email):
    return client.post(reverse("login"), {"username": email, "password": PASSWORD})


# ---------------------------------------------------------------- staff must pass it


def test_password_alone_does_not_open_the_review_queue_for_a_reviewer(client, enrolled_reviewer):
    assert _sign_in(client, enrolled_reviewer.email).status_code == 302

    response = client.get(reverse("review_queue"))

    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next=%2Freviews%2F"


def test_a_reviewer_without_an_authenticator_must_set_one_up_first(client, reviewer):
    login_without_second_factor(client, reviewer)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url == f"{SETUP}?next=%2F"


def test_the_admin_site_needs_the_second_factor_even_for_a_superuser(client, superuser):
    authenticator_for(superuser)
    login_without_second_factor(client, superuser)

    response = client.get("/admin/console/user/")

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_the_admin_site_itself_refuses_an_unverified_staff_session(rf, superuser):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = superuser
    superuser.is_verified = lambda: False

    assert admin.site.has_permission(request) is False
    superuser.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_admin_login_with_the_right_password_still_asks_for_the_code(client, superuser):
    authenticator_for(superuser)

    response = client.post(reverse("admin:login") + "?next=/admin/",
                           {"username": superuser.email, "password": PASSWORD, "next": "/admin/"}, follow=True)

    assert response.redirect_chain[-1][0] == f"{VERIFY}?next=%2Fadmin%2F"
    assert "Enter the 6-digit code" in response.content.decode()


def test_a_session_api_call_by_an_unverified_reviewer_is_refused_in_the_error_shape(client, enrolled_reviewer):
    login_without_second_factor(client, enrolled_reviewer)

    response = client.get("/api/v1/reviews/queue/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"


def test_api_keys_act_as_their_creator_without_a_second_factor(db, org):
    staff_owner = UserFactory(email="staff-owner@acme.test", is_staff=True)
    MembershipFactory(organisation=org, user=staff_owner, role=Role.OWNER)
    _key, raw = api_key_create(org=org, user=staff_owner, role=Role.OWNER, name="CI",
                               scopes=scopes_for_role(Role.OWNER))

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
    assert response.json()["email"] == "staff-owner@acme.test"


@pytest.mark.parametrize("page", ["/reviews/", "/distribution/queue/", "/admin/console/user/", "/"])
def test_a_bearer_header_does_not_stand_in_for_the_code_on_pages(client, enrolled_reviewer, page):
    login_without_second_factor(client, enrolled_reviewer)

    response = client.get(page, HTTP_AUTHORIZATION="Bearer made-up")

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_a_bearer_header_cannot_renew_recovery_codes_of_an_unverified_session(client, enrolled_reviewer):
    login_without_second_factor(client, enrolled_reviewer)
    before = set(StaticToken.objects.filter(device__user=enrolled_reviewer).values_list("token", flat=True))

    response = client.post(reverse("recovery_codes_new"), HTTP_AUTHORIZATION="Bearer made-up")

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert set(StaticToken.objects.filter(device__user=enrolled_reviewer).values_list("token", flat=True)) == before


def test_a_made_up_key_on_the_api_is_refused_not_read_as_the_unverified_session(client, enrolled_reviewer):
    login_without_second_factor(client, enrolled_reviewer)

    response = client.get("/api/v1/reviews/queue/", HTTP_AUTHORIZATION="Bearer made-up")

    assert response.status_code == 401


# ---------------------------------------------------------------- the verify step


def test_the_right_code_finishes_signing_in_and_goes_to_next(client, enrolled_reviewer):
    _sign_in(client, enrolled_reviewer.email)
    device = TOTPDevice.objects.get(user=enrolled_reviewer)

    response = client.post(VERIFY, {"code": next_code(device), "next": "/reviews/"})

    assert response.status_code == 302
    assert response.url == "/reviews/"
    assert client.get("/reviews/").status_code == 200


@pytest.mark.parametrize("next_value", ["123456", "dashboard", "reviews/", "https://evil.example/", "//evil.example/"])
def test_a_next_that_is_not_a_path_of_this_site_goes_to_the_dashboard(client, enrolled_reviewer, next_value):
    """A bare word was read as the name of a URL pattern: "123456" (a code typed in the wrong field) was a 500."""
    _sign_in(client, enrolled_reviewer.email)
    device = TOTPDevice.objects.get(user=enrolled_reviewer)

    response = client.post(VERIFY, {"code": next_code(device), "next": next_value})

    assert (response.status_code, response.url) == (302, "/")


def test_the_language_switch_keeps_to_paths_too(client):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "123456"})

    assert (response.status_code, response.url) == (302, "/")


def test_a_wrong_code_is_refused_and_the_session_stays_unverified(client, enrolled_reviewer):
    _sign_in(client, enrolled_reviewer.email)

    response = client.post(VERIFY, {"code": "000000"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/reviews/").status_code == 302


def test_guessing_codes_is_throttled_so_even_the_right_code_waits(client, enrolled_reviewer):
    _sign_in(client, enrolled_reviewer.email)
    device = TOTPDevice.objects.get(user=enrolled_reviewer)
    for guess in ("111111", "222222", "333333"):
        client.post(VERIFY, {"code": guess})

    response = client.post(VERIFY, {"code": next_code(device)})

    assert response.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # guesses during the wait are not even checked
    assert client.get("/reviews/").status_code == 302


def test_a_used_code_cannot_be_replayed(client, enrolled_reviewer):
    device = TOTPDevice.objects.get(user=enrolled_reviewer)
    code = next_code(device)
    first = Client()
    _sign_in(first, enrolled_reviewer.email)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = Client()
    _sign_in(second, enrolled_reviewer.email)

    response = second.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert second.get("/reviews/").status_code == 302


def test_a_recovery_code_signs_in_once(client, reviewer):
    authenticator_for(reviewer)
    codes = services._new_recovery_codes(reviewer)  # noqa: SLF001 - the codes an enrolment shows
    _sign_in(client, reviewer.email)

    response = client.post(VERIFY, {"code": codes[0].upper()})

    assert response.status_code == 302
    assert StaticToken.objects.filter(device__user=reviewer).count() == 9
    client.post(reverse("logout"))
    _sign_in(client, reviewer.email)
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 200


# ---------------------------------------------------------------- enrolling


def test_setup_shows_a_qr_code_then_the_recovery_codes_once(client, reviewer):
    login_without_second_factor(client, reviewer)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)

    response = client.post(SETUP, {"code": totp_now(device), "next": "/reviews/"})

    assert 'src="data:image/png;base64,' in page
    assert services.base32_secret(device) in page
    html = response.content.decode()
    shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)
    assert len(shown) == 10
    assert sorted(shown) == sorted(StaticToken.objects.filter(device__user=reviewer).values_list("token", flat=True))
    assert response["Cache-Control"] == "no-store"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/reviews/").status_code == 200
    assert AuditEvent.objects.filter(action="user.two_factor_enable", actor=reviewer).count() == 1


def test_setup_refuses_a_wrong_code(client, reviewer):
    login_without_second_factor(client, reviewer)
    client.get(SETUP)

    response = client.post(SETUP, {"code": "123456"})

    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()


def test_an_unverified_session_cannot_replace_the_authenticator(client, enrolled_reviewer):
    login_without_second_factor(client, enrolled_reviewer)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response.url == VERIFY


def test_developers_are_not_asked_but_may_opt_in_and_out(client_for, owner):
    client = client_for(owner)
    assert client.get(reverse("organisation_create")).status_code == 200  # no second step asked
    assert client.get(reverse("two_factor_settings")).status_code == 200
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=owner)
    client.post(SETUP, {"code": totp_now(device)})
    client.post(reverse("logout"))

    signed_in = Client()
    _sign_in(signed_in, owner.email)
    assert signed_in.get(reverse("organisation_create")).url.startswith(VERIFY)
    signed_in.post(VERIFY, {"code": next_code(device)})
    signed_in.post(reverse("two_factor_off"), {"code": next_code(device)})

    assert not TOTPDevice.objects.filter(user=owner).exists()


@pytest.fixture
def enrolled_developer(owner, client_for):
    device = authenticator_for(owner)
    services._new_recovery_codes(owner)  # noqa: SLF001
    return owner, device, client_for(owner)


def test_turning_two_factor_off_asks_for_a_code(enrolled_developer, mailoutbox, django_capture_on_commit_callbacks):
    owner, device, client = enrolled_developer

    for code in ("", "000000"):
        response = client.post(reverse("two_factor_off"), {"code": code}, follow=True)
        assert "That code is not right" in response.content.decode()
    assert TOTPDevice.objects.filter(user=owner).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("two_factor_off"), {"code": next_code(device)})

    assert not TOTPDevice.objects.filter(user=owner).exists()
    [email] = mailoutbox
    assert email.to == [owner.email]
    assert email.subject == "Two-factor sign-in was turned off"
    assert "If this was not you, reset your password now:\nhttp://" in email.body


def test_new_recovery_codes_ask_for_a_code_and_are_emailed(enrolled_developer, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    owner, device, client = enrolled_developer
    before = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))

    refused = client.post(reverse("recovery_codes_new"), {"code": "000000"}, follow=True)
    assert "That code is not right" in refused.content.decode()
    assert set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("recovery_codes_new"), {"code": sorted(before)[0]})

    assert response.status_code == 200
    assert f'href="{reverse("two_factor_settings")}">I saved them, continue' in response.content.decode()
    assert not before & set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert [m.subject for m in mailoutbox] == ["New recovery codes were made"]


def test_staff_cannot_turn_two_factor_off(client_for, enrolled_reviewer):
    client = client_for(enrolled_reviewer)

    client.post(reverse("two_factor_off"))

    assert TOTPDevice.objects.filter(user=enrolled_reviewer, confirmed=True).exists()


# ---------------------------------------------------------------- the demo staff


def test_demo_staff_pass_with_the_code_demo_totp_prints(client, settings, capsys):
    from importlib import import_module

    from django.apps import apps

    from console import demo

    import_module("console.migrations.0002_staff_groups").create_groups(apps, None)  # gone after a flushing test
    settings.DEBUG = True
    loaded = demo.Demo()
    demo.load(loaded)  # console's part of `manage.py demo_data`: the demo people, their authenticators
    call_command("demo_totp", "reviewer@example.com")
    code = re.search(r"reviewer@example.com: (\d{6})", capsys.readouterr().out).group(1)
    client.post(reverse("login"), {"username": "reviewer@example.com", "password": "demo-pass-123"})

    response = client.post(VERIFY, {"code": code, "next": "/reviews/"})

    assert demo.demo_second_factor_line() in loaded.lines
    assert response.url == "/reviews/"
    assert client.get("/reviews/").status_code == 200
    assert loaded.users["developer"].email_verified_at is not None


def test_moving_to_a_new_phone_asks_for_a_code_of_the_current_one_and_is_emailed(
        enrolled_developer, mailoutbox, django_capture_on_commit_callbacks):
    """"Move to another phone" replaced the authenticator and the recovery codes with only an open session."""
    owner, old_device, client = enrolled_developer
    page = client.get(SETUP)
    new_device = TOTPDevice.objects.get(user=owner, confirmed=False)

    refused = client.post(SETUP, {"code": totp_now(new_device), "current_code": "000000"})
    assert TOTPDevice.objects.get(user=owner, confirmed=True) == old_device
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(SETUP, {"code": next_code(new_device), "current_code": next_code(old_device)})

    assert "Move two-factor sign-in to a new phone" in page.content.decode()
    assert "current_code" in refused.context["form"].errors
    assert moved.status_code == 200 and "Your recovery codes" in moved.content.decode()
    assert list(TOTPDevice.objects.filter(user=owner, confirmed=True)) == [new_device]
    assert [m.subject for m in mailoutbox] == ["Two-factor sign-in moved to a new phone"]


def test_the_demo_code_command_names_this_runs_var_dir(monkeypatch):
    """Run as printed under `VAR_DIR=… make run`, it opened var/ instead, found no authenticators and left an
    empty database there (found by a CI developer's walk)."""
    from console import demo

    monkeypatch.setenv("VAR_DIR", "/tmp/my run")
    assert "`VAR_DIR='/tmp/my run' .venv/bin/python manage.py demo_totp`" in demo.demo_second_factor_line()
    monkeypatch.delenv("VAR_DIR")
    assert "`.venv/bin/python manage.py demo_totp`" in demo.demo_second_factor_line()
