"""The shell every signed-in page shares reads the database a fixed number of times.

User, the user's group names, their second-factor devices, their memberships (the sidebar's list,
from which the organisation page decorator picks its own), the unread-notification badge; then the
page's own reads. The session comes from the cache (cached_db). A new per-page query in the shell
makes these fail instead of creeping in.
"""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from console.models import Membership, User
from console.roles import Role, StaffGroup
from console.twofactor.services import has_second_factor
from programs.models import MiniProgram

SHELL_QUERIES = 5  # user, group names, devices, memberships, unread notifications


def _queries(client, path) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db
def test_members_page_costs_the_shell_and_its_own_three_queries(client, owner, org):
    client.force_login(owner)
    path = reverse("members", args=[org.slug])
    client.get(path)  # first visit: the session may be written
    queries = _queries(client, path)
    assert len(queries) == SHELL_QUERIES + 3, "\n".join(queries)  # invitations, page count, members
    assert sum("auth_group" in q for q in queries) == 1
    assert sum('FROM "console_membership"' in q and "console_user_groups" not in q for q in queries) == 3


@pytest.mark.django_db
def test_a_program_page_reads_the_membership_once(client, owner, org):
    program = MiniProgram.objects.create(appid="2099000000000003", organisation=org, name="Counted")
    client.force_login(owner)
    path = reverse("program_detail", args=[org.slug, program.appid])
    client.get(path)
    queries = _queries(client, path)
    memberships = [q for q in queries if q.lstrip().startswith('SELECT "console_membership"."id", '
                                                               '"console_membership"."organisation_id"')]
    assert len(memberships) == 1, "\n".join(queries)
    assert sum("auth_group" in q for q in queries) == 1
    # The overview's own reads: the program, its categories (once, for badges, qualifications and
    # eligibility), versions (count, page, the newest release / phased / pending in one read, hosts),
    # qualifications, distribution, a week of stats, privacy items, trial testers.
    assert len(queries) == SHELL_QUERIES + 13, "\n".join(queries)
    assert sum('FROM "programs_category"' in q for q in queries) == 1


def make_user(email: str) -> User:
    return User.objects.create_user(email=email, password="x")


@pytest.mark.django_db
def test_a_role_change_and_a_removal_count_on_the_next_request(client, org, member):
    client.force_login(member)
    keys = reverse("api_keys", args=[org.slug])
    assert client.get(keys).status_code == 403  # a developer may not manage API keys
    Membership.objects.filter(organisation=org, user=member).update(role=Role.ADMIN)
    assert client.get(keys).status_code == 200
    Membership.objects.filter(organisation=org, user=member).delete()
    assert client.get(reverse("members", args=[org.slug])).status_code == 404


@pytest.mark.django_db
def test_group_names_are_read_once_per_user_object_and_forgotten_on_change(django_assert_num_queries):
    user = make_user("grouped@acme.test")
    reviewers = Group.objects.get_or_create(name=StaffGroup.REVIEWERS)[0]
    with django_assert_num_queries(1):
        assert not user.is_reviewer and not user.is_platform_operator and not user.is_platform_staff
    user.groups.add(reviewers)
    assert user.is_reviewer and user.is_platform_staff and not user.is_platform_operator
    user.groups.remove(reviewers)
    assert not user.is_reviewer
    reviewers.user_set.add(user)  # from the group's side: a fresh read (as the next request makes) sees it
    user.refresh_from_db()
    assert user.is_reviewer and user.is_platform_staff


@pytest.mark.django_db
def test_has_second_factor_reads_every_device_kind_in_one_query(django_assert_num_queries):
    user = make_user("factors@acme.test")
    with django_assert_num_queries(1):
        assert not has_second_factor(user)
    StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=False)
    assert not has_second_factor(user)  # unconfirmed devices do not count
    StaticDevice.objects.filter(user=user).update(confirmed=True)
    with django_assert_num_queries(1):
        assert has_second_factor(user)
