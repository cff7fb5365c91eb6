"""factory_boy factories for the console models.

Factories build rows directly; tests that exercise a service call the service.
The shared personas (owner, member, viewer, outsider, org, other_org) live in the
root conftest.py; these fill in everything else.
"""

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from console.models import ApiKey, AuditEvent, Invitation, Membership, Organisation, User
from console.roles import Role
from console.services import API_KEY_PREFIX, api_key_hash

PASSWORD = "correct-horse-battery-9"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)
    email_verified_at = factory.LazyFunction(timezone.now)  # an ordinary account has confirmed its address


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organisation.Kind.INDIVIDUAL


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.DEVELOPER


class InvitationFactory(DjangoModelFactory):
    """An invitation whose link token is `token` (pass your own to know it)."""

    class Meta:
        model = Invitation
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.DEVELOPER
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ApiKeyFactory(DjangoModelFactory):
    """A key whose raw secret is `mpk_<prefix>_secret-<prefix>`."""

    class Meta:
        model = ApiKey

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Key {n}")
    prefix = factory.Sequence(lambda n: f"{n:012x}")
    key_hash = factory.LazyAttribute(lambda o: api_key_hash(raw_key_for(o.prefix)))
    scopes = factory.LazyFunction(lambda: ["org:read"])
    created_by = factory.SubFactory(UserFactory)


def raw_key_for(prefix: str) -> str:
    return f"{API_KEY_PREFIX}{prefix}_secret-{prefix}"


class AuditEventFactory(DjangoModelFactory):
    class Meta:
        model = AuditEvent

    organisation = factory.SubFactory(OrganisationFactory)
    actor = None
    actor_label = factory.Sequence(lambda n: f"actor{n}@example.test")
    action = "organisation.update"
    target_type = "console.organisation"
    target_id = factory.LazyAttribute(lambda o: str(o.organisation.pk) if o.organisation else "0")
    target_label = factory.Sequence(lambda n: f"target {n}")
