"""Fixtures of the reviews suite on top of the shared personas (owner, member, outsider, org …)."""

import pytest
from django.contrib.auth.models import Group

from console.roles import StaffGroup
from console.tests.factories import UserFactory
from console.tests.otp import authenticator_for


def make_reviewer(email: str, full_name: str):
    user = UserFactory(email=email, full_name=full_name)
    user.groups.add(Group.objects.get(name=StaffGroup.REVIEWERS))
    authenticator_for(user)  # staff sign in with a second factor: an authenticator app of their own
    return user


@pytest.fixture
def reviewer(db):
    """A platform reviewer who belongs to no organisation."""
    return make_reviewer("riley@platform.test", "Riley Reviewer")


@pytest.fixture
def other_reviewer(db):
    return make_reviewer("sam@platform.test", "Sam Second")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def reviewer_api(api, reviewer):
    api.force_login(reviewer)  # the session, as the browser sends it; reviewers have no API keys
    return api


SEEDS = [  # the data migrations that fill the catalogs these tests rely on
    ("console.migrations.0002_staff_groups", "create_groups"),
    ("hosts.migrations.0002_seed_hosts", "seed"),
    ("programs.migrations.0002_seed_categories", "seed"),
    ("reviews.migrations.0002_seed_rejection_reasons", "seed"),
]


@pytest.fixture(autouse=True)
def _catalogs_in_transactional_tests(request):
    """Transactional tests (browser, concurrency) start from a flushed database whose catalogs the
    serialized rollback should restore. Once Playwright runs, the tests see another connection object
    (asgiref's context-local connections), which lacks the serialized copy, so nothing is restored:
    re-run the seed migrations here (they are idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if not (request.node.get_closest_marker("browser") or (marker and marker.kwargs.get("transaction"))):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    for module, function in SEEDS:
        getattr(import_module(module), function)(apps, None)
