"""Fixtures of the reviews suite on top of the shared personas (owner, member, outsider, org …)."""

import pytest
from django.contrib.auth.models import Group

from console.roles import StaffGroup
from console.tests.factories import UserFactory


def make_reviewer(email: str, full_name: str):
    user = UserFactory(email=email, full_name=full_name)
    user.groups.add(Group.objects.get(name=StaffGroup.REVIEWERS))
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
