"""Fixtures of the console suite on top of the shared personas in the root conftest.py."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from console.models import Membership
from console.roles import Role
from console.services import invitation_create
from console.tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def admin_member(org):
    """An admin of `org`."""
    return MembershipFactory(organisation=org, role=Role.ADMIN, user=UserFactory(email="admin@acme.test")).user


@pytest.fixture
def operator_member(org):
    return MembershipFactory(organisation=org, role=Role.OPERATOR, user=UserFactory(email="ops@acme.test")).user


@pytest.fixture
def user_with_role(org, owner, admin_member, member, operator_member, viewer):
    """Look up the persona holding `role` in `org`."""
    by_role = {
        Role.OWNER: owner, Role.ADMIN: admin_member, Role.DEVELOPER: member,
        Role.OPERATOR: operator_member, Role.VIEWER: viewer,
    }
    return by_role.__getitem__


@pytest.fixture
def private_webhook_targets(settings):
    """Webhooks may go to 127.0.0.1 (a receiver the test starts): the test settings refuse that by default."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@platform.test", is_staff=True, is_superuser=True)


@pytest.fixture
def fresh_api():
    """A second API client, independent of the shared `api` fixture."""
    return APIClient()


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Invite through the service (sending the email); returns (invitation, token, accept path)."""

    def _invite(org, email, *, role=Role.DEVELOPER, by=None, actor_role=Role.OWNER):
        tokens = []

        def url_builder(token):
            tokens.append(token)
            return "http://testserver" + reverse("invitation_accept", args=[token])

        inviter = by or Membership.objects.filter(organisation=org, role=Role.OWNER).first().user
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(
                org=org, email=email, role=role, invited_by=inviter, actor_role=actor_role,
                accept_url_builder=url_builder,
            )
        return invitation, tokens[0], reverse("invitation_accept", args=[tokens[0]])

    return _invite
