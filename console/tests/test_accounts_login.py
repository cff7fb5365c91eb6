"""Sign-in by email with a rate limit (/accounts/login/) and sign-out (/accounts/logout/)."""

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from console.tests.factories import PASSWORD, UserFactory

LOGIN = reverse("login")
RATE_LIMITED = "Too many sign-in attempts. Wait a few minutes and try again."
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


# ------------------------------------------------------------------ rate limit


@pytest.fixture
def small_limit(settings):
    settings.LOGIN_RATE_LIMIT = (3, 60)
    # Counters in a cache of these tests' own: every test's cache.clear() (root conftest) flushes the shared
    # Redis database, so another xdist worker, or another test run on the machine, could wipe them mid-test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "login-rate-limit-tests"}}
    from django.core.cache import cache

    cache.clear()


def _fail(client, email, times):
    for _ in range(times):
        assert client.post(LOGIN, {"username": email, "password": "wrong"}).status_code == 200


def test_login_is_refused_with_429_after_too_many_failures_even_with_right_password(web, owner, small_limit):
    _fail(web, "owner@acme.test", 3)

    response = web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 429
    assert RATE_LIMITED in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_rate_limit_counts_the_email_whatever_its_case(web, owner, small_limit):
    _fail(web, "OWNER@acme.test", 3)

    response = web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 429


def test_rate_limit_on_one_email_leaves_another_email_alone(web, owner, small_limit):
    other = UserFactory(email="other@acme.test")
    _fail(web, "owner@acme.test", 3)

    response = web.post(LOGIN, {"username": "other@acme.test", "password": PASSWORD})

    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(other.pk)


def test_rate_limit_on_one_email_applies_from_every_address(owner, small_limit):
    first, second = Client(REMOTE_ADDR="10.1.1.1"), Client(REMOTE_ADDR="10.2.2.2")
    _fail(first, "owner@acme.test", 3)

    response = second.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 429


def test_one_address_trying_many_emails_is_limited_at_three_times_the_limit(web, owner, small_limit):
    for n in range(9):
        _fail(web, f"guess{n}@acme.test", 1)

    response = web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 429


def test_attempts_below_the_limit_still_sign_in(web, owner, small_limit):
    _fail(web, "owner@acme.test", 2)

    response = web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 302


def test_successful_sign_ins_do_not_use_up_the_limit(owner, small_limit):
    for n in range(5):
        client = Client(REMOTE_ADDR=f"10.3.3.{n}")
        assert client.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD}).status_code == 302

    response = Client(REMOTE_ADDR="10.3.3.9").post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 302


def test_a_successful_sign_in_clears_earlier_failures_of_that_email(web, owner, small_limit):
    _fail(web, "owner@acme.test", 2)
    assert web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD}).status_code == 302
    web.post(reverse("logout"))

    _fail(web, "owner@acme.test", 2)
    response = web.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})

    assert response.status_code == 302
