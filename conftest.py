"""Shared fixtures: the owner / member / outsider personas and API clients.

Browser fixtures live in console/tests/browser.py and are loaded as a plugin here.
"""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from console.models import Membership, Organisation, User
from console.roles import Role, scopes_for_role
from console.services import api_key_create, organisation_create

pytest_plugins = ["console.tests.browser", "console.tests.otp", "console.tests.s3", "console.tests.figures"]

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English: a request that activated another language must not leak into the next."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    from django.core.cache import cache

    from hosts.selectors import forget_catalog_names

    cache.clear()
    forget_catalog_names()
    yield
    cache.clear()
    _clear_host_store_file()


def _clear_host_store_file():
    """The host runtime store's SQLite file (rate limits, nonces, the ingest's seen ids) holds nothing from one
    test into the next; on Redis, clearing the cache cleared it (settings_test)."""
    from django.conf import settings

    if settings.HOST_STORE_URL.startswith("sqlite:///"):
        from hosts.runtime import host_store

        host_store().clear()


def make_user(email: str, **extra) -> User:
    extra.setdefault("email_verified_at", timezone.now())  # the personas have confirmed their addresses
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def owner(db) -> User:
    return make_user("owner@acme.test", full_name="Olive Owner")


@pytest.fixture
def org(owner) -> Organisation:
    return organisation_create(user=owner, name="Acme Apps", kind=Organisation.Kind.ENTERPRISE)


@pytest.fixture
def member(org) -> User:
    """A developer in `org`."""
    user = make_user("dev@acme.test", full_name="Devi Developer")
    Membership.objects.create(organisation=org, user=user, role=Role.DEVELOPER)
    return user


@pytest.fixture
def viewer(org) -> User:
    user = make_user("viewer@acme.test")
    Membership.objects.create(organisation=org, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(db) -> User:
    """A user with an organisation of their own and no relation to `org`."""
    user = make_user("mallory@evil.test")
    organisation_create(user=user, name="Evil Corp")
    return user


@pytest.fixture
def other_org(outsider) -> Organisation:
    return Organisation.objects.get(memberships__user=outsider)


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def owner_key(org, owner):
    """(ApiKey, raw secret) for `org` with every scope the owner may grant."""
    return api_key_create(org=org, user=owner, role=Role.OWNER, name="CI", scopes=scopes_for_role(Role.OWNER))


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_with_key(api, owner_key):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")
    return api


def transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test empties every table when it ends, the rows the migrations seeded too (categories,
    scenes, reasons). pytest-django runs those tests last, but under xdist's work stealing a process may take
    ordinary tests after them: 14 of them once found no category. The seeded rows come back before any test
    that is not transactional. (No next test: the session's teardown has just dropped the test database.)"""
    yield
    if transactional(item) and nextitem is not None and not transactional(nextitem):
        _put_back_seeded_rows(item.config)


def _put_back_seeded_rows(config) -> None:
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        for connection in connections.all(initialized_only=True):
            contents = getattr(connection, "_test_serialized_contents", None)
            if contents:
                connection.creation.deserialize_db_from_string(contents)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The slow transactional tests (browser, real worker) open the transactional block that pytest-django puts
    after the other database tests, instead of being spread through it: under xdist's work stealing, the
    run's last minutes are then quick tests that both processes share, not one long test that the other
    process waits out."""
    def slow(item) -> bool:
        return item.get_closest_marker("browser") is not None or item.get_closest_marker("worker") is not None

    first = next((i for i, item in enumerate(items) if transactional(item)), None)
    if first is None:
        return
    block = [item for item in items[first:] if transactional(item)]
    rest = [item for item in items[first:] if not transactional(item)]
    items[first:] = [item for item in block if slow(item)] + [item for item in block if not slow(item)] + rest
