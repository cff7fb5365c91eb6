"""Trial access is granted by email address: only once the account has confirmed that address (issue 9)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from console.tests.factories import PASSWORD
from programs import releases
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial_program(org, owner):
    program = MiniProgramFactory(organisation=org, name="City Bikes")
    version = VersionFactory(program=program, version="1.4.0", status=Version.Status.READY)
    releases.version_set_trial(version=version, actor=owner)
    releases.tester_add(program=program, actor=owner, email="tess@tester.test")
    return program


def _sign_up(client, email):
    with_commit = client.post(reverse("sign_up"), {"email": email, "password": "a-long-unusual-passphrase-42"})
    assert with_commit.status_code == 302
    return client


def test_signing_up_with_a_testers_address_does_not_open_the_trial(client, trial_program):
    """The attack: anyone who signs up with a tester's address saw the trial."""
    _sign_up(client, "Tess@Tester.test")

    response = client.get(reverse("trial_open", args=[trial_program.appid]))

    assert response.status_code == 404
    assert "City Bikes" not in response.content.decode()


def test_the_trial_opens_once_the_address_is_confirmed(client, trial_program, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, "tess@tester.test")
    link = re.search(r"http://testserver(/accounts/verify/[^\s]+/)", mail.outbox[-1].body).group(1)

    client.post(link)
    response = client.get(reverse("trial_open", args=[trial_program.appid]))

    assert response.status_code == 200
    assert "City Bikes" in response.content.decode()


def test_a_confirmed_tester_who_signs_in_opens_the_trial(client, trial_program):
    from console.tests.factories import UserFactory

    UserFactory(email="tess@tester.test")
    client.post(reverse("login"), {"username": "tess@tester.test", "password": PASSWORD})

    assert client.get(reverse("trial_open", args=[trial_program.appid])).status_code == 200


def test_an_address_that_is_only_equal_in_upper_case_is_not_the_tester(trial_program):
    """PostgreSQL's case-insensitive match compared UPPER(): "gmaıl" (a dotless i, a domain anyone may register)
    reads "GMAIL" there, and its owner passed as the tester alice@gmail.com."""
    from django.utils import timezone

    from console.models import User
    from programs.selectors import is_named_tester

    releases.tester_add(program=trial_program, actor=None, email="alice@gmail.com")
    lookalike = User.objects.create_user(email="alice@gma\u0131l.com", password="x-9-long-password",
                                         email_verified_at=timezone.now())
    real = User.objects.create_user(email="Alice@Gmail.com", password="x-9-long-password",
                                    email_verified_at=timezone.now())

    assert not is_named_tester(lookalike, trial_program)
    assert is_named_tester(real, trial_program)
