"""Lock-out of repeated failed sign-ins (django-axes, console/lockout.py) on the portal, the admin site and
API keys. Default figures: an account locks after 10 failures, an address after 30, for 15 minutes."""

import itertools
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console.tests.factories import PASSWORD, UserFactory

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
LOCKED = "Too many sign-in attempts. Wait a few minutes and try again."
_addresses = itertools.count(1)


def new_address() -> str:
    n = next(_addresses)
    return f"10.77.{n // 250}.{n % 250 + 1}"


@pytest.fixture
def web():
    """A client from an address of its own."""
    return Client(REMOTE_ADDR=new_address())


def _fail(client, email, times, path=LOGIN) -> list[int]:
    return [client.post(path, {"username": email, "password": "wrong"}).status_code for _ in range(times)]


def _sign_in(client, email, path=LOGIN):
    return client.post(path, {"username": email, "password": PASSWORD})


def test_defaults_are_ten_per_account_thirty_per_address_fifteen_minutes(settings):
    assert (settings.AXES_FAILURE_LIMIT, settings.LOGIN_ADDRESS_FACTOR) == (10, 3)
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_admin_login_attack_thirty_wrong_passwords_then_the_right_one_is_refused(web, superuser):
    """The reported attack: /admin/login/ took 30 wrong passwords, then let the right one in."""
    statuses = _fail(web, superuser.email, 30, ADMIN_LOGIN)

    response = _sign_in(web, superuser.email, ADMIN_LOGIN)

    assert statuses == [200] * 9 + [429] * 21
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_portal_refuses_the_right_password_after_ten_failures(web, owner):
    assert _fail(web, "owner@acme.test", 10) == [200] * 9 + [429]

    response = _sign_in(web, "owner@acme.test")

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_nine_failures_still_let_the_right_password_in(web, owner):
    _fail(web, "owner@acme.test", 9)

    response = _sign_in(web, "owner@acme.test")

    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(owner.pk)


def test_the_account_count_ignores_the_email_case(web, owner):
    _fail(web, "OWNER@acme.test", 5)
    _fail(web, "owner@ACME.test", 5)

    assert _sign_in(web, "owner@acme.test").status_code == 429


def test_a_locked_account_is_locked_from_every_address(owner):
    _fail(Client(REMOTE_ADDR=new_address()), "owner@acme.test", 10 - 1)
    Client(REMOTE_ADDR=new_address()).post(LOGIN, {"username": "owner@acme.test", "password": "wrong"})

    assert _sign_in(Client(REMOTE_ADDR=new_address()), "owner@acme.test").status_code == 429


def test_a_locked_account_leaves_other_accounts_alone(web, owner):
    other = UserFactory(email="other@acme.test")
    _fail(web, "owner@acme.test", 10)

    response = _sign_in(web, "other@acme.test")

    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(other.pk)


def test_an_address_spraying_many_accounts_is_locked_at_thirty(web, owner):
    for n in range(29):
        _fail(web, f"guess{n}@acme.test", 1)
    assert _sign_in(web, "owner@acme.test").status_code == 302
    web.post(reverse("logout"))
    _fail(web, "guess-last@acme.test", 1)

    assert _sign_in(web, "owner@acme.test").status_code == 429
    assert _sign_in(Client(REMOTE_ADDR=new_address()), "owner@acme.test").status_code == 302


def test_signing_in_clears_the_account_count_not_the_address_count(web, owner):
    _fail(web, "owner@acme.test", 9)
    for n in range(20):
        _fail(web, f"spray{n}@acme.test", 1)
    assert _sign_in(web, "owner@acme.test").status_code == 302
    web.post(reverse("logout"))

    # The owner's 9 failures are gone (9 more would make 18, over 10)…
    _fail(web, "owner@acme.test", 9)
    assert _sign_in(web, "owner@acme.test").status_code == 302
    web.post(reverse("logout"))
    # … while the address keeps its 20 spray failures and locks at 30.
    for n in range(10):
        _fail(web, f"spray-more{n}@acme.test", 1)
    assert _sign_in(web, "owner@acme.test").status_code == 429


def test_the_lock_lifts_fifteen_minutes_after_the_last_failure(web, owner):
    _fail(web, "owner@acme.test", 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert _sign_in(web, "owner@acme.test").status_code == 429  # a refused attempt counts as the last failure

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))

    assert _sign_in(web, "owner@acme.test").status_code == 302


def test_failures_are_visible_to_admins_without_the_password(web, owner):
    _fail(web, "owner@acme.test", 2)

    attempt = AccessAttempt.objects.get(username="owner@acme.test")
    assert attempt.failures_since_start == 2
    assert "wrong" not in attempt.post_data


# ------------------------------------------------------------------ API keys


def _api(address=None, key="mpk_0123456789ab_not-a-real-key"):
    client = Client(REMOTE_ADDR=address or new_address())
    return client, {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_api_key_guessing_locks_the_address_at_thirty_with_the_json_error(owner_key):
    address = new_address()
    client, wrong = _api(address)
    statuses = [client.get("/api/v1/me/", **wrong).status_code for _ in range(30)]
    _, right = _api(address, owner_key[1])

    response = client.get("/api/v1/me/", **right)

    assert statuses[:29] == [401] * 29 and statuses[29] == 429
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert response["Retry-After"] == "900"


def test_a_locked_address_does_not_stop_a_right_key_from_elsewhere(owner_key):
    client, wrong = _api()
    for _ in range(30):
        client.get("/api/v1/me/", **wrong)
    other, right = _api(key=owner_key[1])

    response = other.get("/api/v1/me/", **right)

    assert response.status_code == 200
    assert response.json()["email"] == "owner@acme.test"


def test_a_pipeline_still_sending_a_revoked_key_does_not_lock_its_address_out(owner, org, owner_key):
    """A CI runner retrying with a key an owner revoked is not guessing: locking its address out would stop every
    other key and sign-in from that shared address for fifteen minutes."""
    from console.roles import Role, scopes_for_role
    from console.services import api_key_create, api_key_revoke

    old_key, old_raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="Old CI",
                                      scopes=scopes_for_role(Role.OWNER))
    api_key_revoke(api_key=old_key, actor=owner)
    address = new_address()
    client, revoked = _api(address, old_raw)

    answers = [client.get("/api/v1/me/", **revoked) for _ in range(40)]
    _, right = _api(address, owner_key[1])

    assert {a.status_code for a in answers} == {401}
    assert "was revoked at" in answers[-1].json()["error"]["message"]
    assert client.get("/api/v1/me/", **right).status_code == 200


def test_a_made_up_secret_behind_a_revoked_keys_prefix_still_counts(owner, org):
    from console.roles import Role, scopes_for_role
    from console.services import api_key_create, api_key_revoke

    old_key, old_raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="Old CI",
                                      scopes=scopes_for_role(Role.OWNER))
    api_key_revoke(api_key=old_key, actor=owner)
    client, guessed = _api(new_address(), old_raw[:-4] + "AAAA")

    statuses = [client.get("/api/v1/me/", **guessed).status_code for _ in range(30)]

    assert statuses[29] == 429


PROXY = "10.0.0.2"


def _through_proxy(client_address: str, key: str, sent_by_client: str = ""):
    """A request as the proxy passes it on: from the proxy's socket, the client's address appended."""
    forwarded = f"{sent_by_client}, {client_address}" if sent_by_client else client_address
    return Client(REMOTE_ADDR=PROXY).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}",
                                         HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_a_proxy_the_lock_out_counts_each_client_not_the_proxy(owner_key, settings):
    """Every request came from the proxy's address: 30 failures from anyone locked out everyone (a probe of a
    production deploy found it). With PROXIES_IN_FRONT=1 the client's address is the last X-Forwarded-For entry."""
    settings.PROXIES_IN_FRONT = 1
    statuses = [_through_proxy(f"203.0.113.{i}", "mpk_0123456789ab_not-a-real-key").status_code for i in range(31)]

    assert set(statuses) == {401}
    assert _through_proxy("198.51.100.7", owner_key[1]).status_code == 200
    assert AccessAttempt.objects.filter(ip_address="203.0.113.5").exists()


def test_behind_a_proxy_what_the_client_writes_into_x_forwarded_for_is_not_read(owner_key, settings):
    """A client cannot pick the address it is counted under: only the entry the proxy appended is read."""
    settings.PROXIES_IN_FRONT = 1
    statuses = [_through_proxy("203.0.113.99", "mpk_0123456789ab_not-a-real-key", sent_by_client=f"192.0.2.{i}")
                .status_code for i in range(30)]

    assert statuses[-1] == 429
    assert _through_proxy("203.0.113.99", owner_key[1], sent_by_client="192.0.2.200").status_code == 429


@pytest.mark.parametrize(("forwarded", "counted_as"), [
    ("not-an-ip", PROXY), ("x" * 5000, PROXY), ("unknown", PROXY),
    ("203.0.113.7:41234", "203.0.113.7"), ("[2001:db8::7]:41234", "2001:db8::7"), ("2001:db8::7", "2001:db8::7"),
])
def test_behind_a_proxy_an_entry_that_is_not_an_address_counts_as_the_proxy(settings, forwarded, counted_as):
    """Stored as the failure's address, "not-an-ip" was a 500 on every API call (a PostgreSQL inet column)."""
    settings.PROXIES_IN_FRONT = 1
    response = Client(REMOTE_ADDR=PROXY).get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer mpk_0123456789ab_nope",
                                             HTTP_X_FORWARDED_FOR=forwarded)

    assert response.status_code == 401
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [counted_as]


def test_without_proxies_in_front_x_forwarded_for_is_ignored(owner_key, settings):
    assert settings.PROXIES_IN_FRONT == 0
    for i in range(30):
        _through_proxy(f"203.0.113.{i}", "mpk_0123456789ab_not-a-real-key")

    assert _through_proxy("198.51.100.7", owner_key[1]).status_code == 429  # all from the socket's address


def test_a_guessed_key_never_reaches_the_failure_record(owner_key):
    client, wrong = _api()
    client.post("/api/v1/me/?key=x", data={"key": "mpk_secret"}, **wrong)

    attempt = AccessAttempt.objects.get()
    assert attempt.username is None
    assert "mpk_secret" not in attempt.post_data and "mpk_" not in attempt.get_data


def test_admins_see_and_can_clear_lock_outs_in_the_admin_site(web, owner, superuser, client_for):
    _fail(web, "owner@acme.test", 10)
    admin_client = client_for(superuser)

    page = admin_client.get("/admin/axes/accessattempt/")
    attempt = AccessAttempt.objects.get(username="owner@acme.test")
    admin_client.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk],
                                                     "post": "yes"})

    assert page.status_code == 200
    assert "owner@acme.test" in page.content.decode()
    assert _sign_in(web, "owner@acme.test").status_code == 302
