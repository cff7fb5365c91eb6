"""Fixtures of the console suite on top of the shared personas in the root conftest.py."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from console.models import Membership
from console.roles import Role
from console.services import api_key_create, invitation_create
from console.tests.factories import InvitationFactory, MembershipFactory, UserFactory


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

    def _invite(org, email, *, role=Role.DEVELOPER, by=None):
        tokens = []

        def url_builder(token):
            tokens.append(token)
            return "http://testserver" + reverse("invitation_accept", args=[token])

        inviter = by or Membership.objects.filter(organisation=org, role=Role.OWNER).first().user
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(
                org=org, email=email, role=role, invited_by=inviter,
                accept_url_builder=url_builder,
            )
        return invitation, tokens[0], reverse("invitation_accept", args=[tokens[0]])

    return _invite


@pytest.fixture
def admin_client_(client, superuser):
    """The admin site as a signed-in superuser (two-factor passed)."""
    client.force_login(superuser)
    return client


@pytest.fixture
def admin_data(org, owner, member, outsider, other_org, owner_key):
    """Two organisations with members, invitations and API keys, for the admin's lists and searches."""
    InvitationFactory(organisation=org, email="invitee@acme.test", invited_by=owner)
    InvitationFactory(organisation=other_org, email="other-invitee@evil.test", invited_by=outsider)
    api_key_create(org=other_org, user=outsider, role="owner", name="Evil deploy", scopes=["org:read"])


@pytest.fixture
def a_row_of_most_models(admin_data, org, owner, superuser):
    """Rows for the admin's change pages: a version in review with a claim, a decision and a message, a
    release, a qualification document, a host credential, and the catalogs migrations seed."""
    from django.core.files.base import ContentFile

    from hosts.models import Host
    from hosts.services import credential_create
    from programs.models import QualificationDocument
    from reviews.models import AutoApprovalPolicy
    from reviews.tests.factories import ClaimFactory, DecisionFactory, WaitingVersionFactory, released_version

    waiting = WaitingVersionFactory(org=org)
    released_version(waiting.program)
    ClaimFactory(version=waiting, reviewer=superuser)
    DecisionFactory(version=waiting, reviewer=superuser)
    QualificationDocument.objects.create(program=waiting.program, category=waiting.program.categories.first(),
                                         file=ContentFile(b"%PDF-1.4", name="licence.pdf"),
                                         original_name="licence.pdf", uploaded_by=owner)
    credential_create(host=Host.objects.get(code="weibo"), actor=None, name="admin page")
    AutoApprovalPolicy.current()
