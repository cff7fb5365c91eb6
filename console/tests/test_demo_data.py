"""`python manage.py demo_data`: idempotent demo logins, organisations and a working API key."""

import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from console import demo
from console.demo import DEMO_PASSWORD
from console.models import ApiKey, Organisation, User

DEMO_LOGINS = ["developer@example.com", "reviewer@example.com", "operator@example.com", "admin@example.com"]


def _run(*args) -> str:
    out = StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


def _counts():
    """Rows of every model of every app, so that no app's demo loader duplicates anything either."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_demo_data_without_traffic_leaves_out_only_the_stats_traffic(db, debug_on,
                                                                      django_capture_on_commit_callbacks):
    """For tests that never look at stats (half the load's time); `make run` always loads the traffic."""
    from programs.models import MiniProgram
    from stats.models import RawEvent

    with django_capture_on_commit_callbacks(execute=True):  # the drain runs once the load commits
        output = _run("--without-traffic")
    assert "Stats:" not in output
    assert RawEvent.objects.count() == 0
    assert MiniProgram.objects.filter(organisation__slug="demo-studio").count() >= 5
    with django_capture_on_commit_callbacks(execute=True):
        assert "Stats:" in _run()  # a load without the option brings the month of traffic
    assert RawEvent.objects.count() > 10_000


def test_demo_data_twice_duplicates_nothing(db, debug_on):
    first_output = _run()
    after_first = _counts()
    second_output = _run()

    assert _counts() == after_first
    assert after_first["console.User"] >= 4
    assert after_first["console.ApiKey"] == 1
    assert first_output == second_output


def test_demo_data_prints_the_logins_and_a_working_api_key(db, debug_on):
    output = _run("--without-traffic")  # the traffic adds a line about stats (the first test), nothing here

    for email in DEMO_LOGINS:
        assert email in output
    assert DEMO_PASSWORD in output
    key = re.search(r"(mpk_[0-9a-f]{12}_[A-Za-z0-9_-]+)", output).group(1)
    api = APIClient()
    response = api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["email"] == "developer@example.com"
    assert [o["slug"] for o in response.json()["organisations"]] == ["demo-studio"]


def _load_console_demo():
    """Only the console's loader (people, organisations, the key): faster than every app's."""
    demo.load(demo.Demo())


def test_demo_logins_sign_in_with_the_demo_password(db):
    _load_console_demo()

    for email in DEMO_LOGINS:
        client = Client()
        response = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email


def test_demo_people_have_their_roles(db):
    _load_console_demo()

    assert User.objects.get(email="admin@example.com").is_superuser is True
    assert User.objects.get(email="reviewer@example.com").is_reviewer is True
    assert User.objects.get(email="operator@example.com").is_platform_operator is True
    assert User.objects.get(email="developer@example.com").is_staff is False
    studio = Organisation.objects.get(slug="demo-studio")
    assert studio.verified is True
    assert studio.memberships.get(user__email="developer@example.com").role == "owner"


def test_demo_data_restores_the_printed_key_after_it_was_revoked(db, api):
    _load_console_demo()
    ApiKey.objects.update(revoked_at="2020-01-01T00:00:00Z")

    loaded = demo.Demo()
    demo.load(loaded)

    assert ApiKey.objects.count() == 1
    key = re.search(r"(mpk_\S+)", "\n".join(loaded.lines)).group(1)
    assert api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_demo_data_refuses_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        _run()

    assert not User.objects.filter(email__in=DEMO_LOGINS).exists()


def test_demo_data_with_force_runs_with_debug_off(db, settings):
    settings.DEBUG = False

    output = _run("--force", "--without-traffic")

    assert "Demo data loaded." in output
    assert User.objects.filter(email__in=DEMO_LOGINS).count() == 4
