"""After signing in (`/` is the landing page) each kind of user lands where their work is, not on
"Create an organisation"."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from console.roles import StaffGroup
from console.tests.factories import UserFactory


def staff(email: str, group: str, **extra):
    user = UserFactory(email=email, **extra)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize(
    ("group", "extra", "landing"),
    [
        (StaffGroup.REVIEWERS, {}, "review_queue"),
        (StaffGroup.OPERATORS, {}, "distribution_queue"),
        (StaffGroup.ADMINS, {"is_staff": True, "is_superuser": True}, "admin:index"),
    ],
)
def test_platform_staff_land_on_their_work_not_on_create_an_organisation(client, db, group, extra, landing):
    user = staff(f"{group}@platform.test", group, **extra)
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == reverse(landing)


def test_a_reviewer_who_also_develops_still_lands_on_the_review_queue(client, org, owner):
    owner.groups.add(Group.objects.get(name=StaffGroup.REVIEWERS))
    client.force_login(owner)
    assert client.get(reverse("dashboard")).url == reverse("review_queue")


def test_a_developer_lands_on_their_organisation_and_a_newcomer_on_create(client, org, owner, outsider):
    client.force_login(owner)
    assert client.get(reverse("dashboard")).url == reverse("organisation_dashboard", args=[org.slug])
    newcomer = UserFactory(email="new@example.test")
    client.force_login(newcomer)
    assert client.get(reverse("dashboard")).url == reverse("organisation_create")
