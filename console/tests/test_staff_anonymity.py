"""Staff anonymity is a property of the organisation-facing read path (issue 9): an audit event written by
platform staff WITHOUT the "Platform review" label still never shows their name or email to the
organisation — audit page, its API, the recent-activity panel — nor lets its actor filter find them."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from console.models import AuditEvent, Membership
from console.roles import Role, StaffGroup
from console.services import audit_record, organisation_set_verified
from console.tests.factories import UserFactory


def _staff(email, group):
    user = UserFactory(email=email, full_name="Riley Reviewer")
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def reviewer(db):
    return _staff("riley@platform.test", StaffGroup.REVIEWERS)


@pytest.fixture
def unlabelled_review(org, reviewer):
    """What the demo data did: a reviewer's event on the organisation's object, with no label."""
    return audit_record(action="version.approve", target=org, actor=reviewer, organisation=org,
                        after={"automatic": False})


def test_the_audit_page_shows_platform_review_not_the_reviewer(client_for, owner, org, unlabelled_review):
    html = client_for(owner).get(reverse("audit_log", args=[org.slug])).content.decode()

    assert unlabelled_review.actor_label == "riley@platform.test"  # the stored row still names them, for admins
    assert "Platform review" in html
    assert "riley@platform.test" not in html
    assert "Riley" not in html


def test_the_audit_api_shows_platform_review_not_the_reviewer(api_with_key, org, unlabelled_review):
    response = api_with_key.get(reverse("api_audit_events", args=[org.slug]))

    rows = [row for row in response.json()["results"] if row["action"] == "version.approve"]
    assert [row["actor"] for row in rows] == ["Platform review"]
    assert "riley@platform.test" not in response.content.decode()


def test_the_recent_activity_panel_shows_platform_review(client_for, owner, org, unlabelled_review):
    html = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug])).content.decode()

    assert "<strong>Platform review</strong>" in html
    assert "riley@platform.test" not in html


def test_filtering_the_audit_log_by_a_reviewers_email_finds_nothing(client_for, api_with_key, owner, org,
                                                                     unlabelled_review):
    page = client_for(owner).get(reverse("audit_log", args=[org.slug]), {"actor": "riley@platform"})
    api = api_with_key.get(reverse("api_audit_events", args=[org.slug]), {"actor": "riley"})
    by_label = api_with_key.get(reverse("api_audit_events", args=[org.slug]), {"actor": "platform review"})

    assert list(page.context["page"].object_list) == []
    assert api.json()["results"] == []
    assert [row["action"] for row in by_label.json()["results"]] == ["version.approve"]


def test_other_staff_appear_as_platform(client_for, owner, org, superuser):
    organisation_set_verified(org=org, actor=superuser, verified=True)  # an admin, no label passed

    response = client_for(owner).get(reverse("audit_log", args=[org.slug]))

    event = next(e for e in response.context["page"].object_list if e.action == "organisation.verify")
    assert event.shown_actor == "Platform"
    assert "root@platform.test" not in response.content.decode()


def test_staff_acting_in_their_own_organisation_appear_as_themselves(client_for, owner, org):
    operator = _staff("oscar@acme.test", StaffGroup.OPERATORS)
    Membership.objects.create(organisation=org, user=operator, role=Role.OPERATOR)
    audit_record(action="organisation.update", target=org, actor=operator, organisation=org)

    response = client_for(owner).get(reverse("audit_log", args=[org.slug]))

    event = next(e for e in response.context["page"].object_list if e.action == "organisation.update")
    assert event.shown_actor == "oscar@acme.test"


def test_members_and_api_keys_keep_their_labels(client_for, owner, org, member):
    audit_record(action="organisation.update", target=org, actor=member, organisation=org)

    events = client_for(owner).get(reverse("audit_log", args=[org.slug])).context["page"].object_list

    shown = {e.shown_actor for e in events}
    assert {"dev@acme.test", "owner@acme.test"} <= shown
    assert AuditEvent.objects.filter(actor_label="dev@acme.test").count() == 1
