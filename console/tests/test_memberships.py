"""Members page (/orgs/<slug>/members/), role changes and removals, and what each role may do on each page."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from console.models import ApiKey, AuditEvent, Invitation, Membership
from console.roles import Role, scopes_for_role
from console.services import api_key_authenticate, api_key_create, membership_change_role, membership_remove
from console.tests.factories import ApiKeyFactory, InvitationFactory, MembershipFactory, UserFactory

MANAGERS = {Role.OWNER, Role.ADMIN}
EVERYONE = set(Role)


@pytest.fixture
def target(org):
    """Somebody else in `org` whom managers act on."""
    return MembershipFactory(organisation=org, role=Role.DEVELOPER, user=UserFactory(email="target@acme.test"))


@pytest.fixture
def objects(org, owner, target):
    return {
        "member_id": target.pk,
        "invitation_id": InvitationFactory(organisation=org, invited_by=owner).pk,
        "key_id": ApiKeyFactory(organisation=org, created_by=owner).pk,
    }


# (method, url name, url kwargs needed, POST data, roles that may)
PAGES = [
    ("get", "organisation_dashboard", [], None, EVERYONE),
    ("get", "audit_log", [], None, EVERYONE),
    ("get", "members", [], None, EVERYONE),
    ("post", "members", [], {"email": "new@acme.test", "role": "viewer"}, MANAGERS),
    ("get", "organisation_settings", [], None, MANAGERS),
    ("post", "organisation_settings", [], {"name": "Renamed", "kind": "individual"}, MANAGERS),
    ("get", "api_keys", [], None, MANAGERS),
    ("post", "api_keys", [], {"name": "CI", "scopes": ["org:read"]}, MANAGERS),
    ("post", "member_role", ["member_id"], {"role": "viewer"}, MANAGERS),
    ("post", "member_remove", ["member_id"], None, MANAGERS),
    ("post", "invitation_revoke", ["invitation_id"], None, MANAGERS),
    ("post", "api_key_revoke", ["key_id"], None, MANAGERS),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("method, name, id_names, data, allowed", PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES])
def test_role_capabilities_on_each_page(
    client_for, org, user_with_role, objects, django_capture_on_commit_callbacks, role, method, name, id_names, data,
    allowed,
):
    client = client_for(user_with_role(role))
    url = reverse(name, args=[org.slug, *[objects[i] for i in id_names]])

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(url, data or {})

    if role in allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 403


def test_viewer_refused_on_members_post_changes_nothing(client_for, viewer, org):
    response = client_for(viewer).post(reverse("members", args=[org.slug]), {"email": "x@acme.test", "role": "viewer"})

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_members_page_lists_members_and_pending_invitations_for_managers(client_for, owner, org, member, viewer):
    pending = InvitationFactory(organisation=org, email="pending@acme.test", invited_by=owner)
    InvitationFactory(organisation=org, email="gone@acme.test", revoked_at=pending.created_at)

    response = client_for(owner).get(reverse("members", args=[org.slug]))

    emails = [m.user.email for m in response.context["members"]]
    assert emails == ["dev@acme.test", "owner@acme.test", "viewer@acme.test"]
    assert [i.email for i in response.context["invitations"]] == ["pending@acme.test"]
    assert response.context["role_values"] == [r.value for r in Role]


def test_members_page_hides_invitations_from_non_managers(client_for, member, owner, org):
    InvitationFactory(organisation=org, email="pending@acme.test", invited_by=owner)

    response = client_for(member).get(reverse("members", args=[org.slug]))

    assert response.context["invitations"] == []
    assert response.context["can_manage"] is False
    assert "pending@acme.test" not in response.content.decode()


def test_admin_is_not_offered_the_owner_role(client_for, admin_member, org):
    response = client_for(admin_member).get(reverse("members", args=[org.slug]))

    assert Role.OWNER not in response.context["role_values"]
    assert [value for value, _ in response.context["form"].fields["role"].choices] == [
        "admin", "developer", "operator", "viewer"]


# ------------------------------------------------------------------ role changes


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_owner_changes_a_members_role_and_it_is_audited(client_for, owner, org, member):
    membership = Membership.objects.get(user=member, organisation=org)

    response = client_for(owner).post(reverse("member_role", args=[org.slug, membership.pk]), {"role": "operator"})

    assert response.url == reverse("members", args=[org.slug])
    membership.refresh_from_db()
    assert membership.role == Role.OPERATOR
    event = AuditEvent.objects.get(action="membership.change_role")
    assert (event.before, event.after, event.actor) == ({"role": "developer"}, {"role": "operator"}, owner)


def test_admin_cannot_make_an_owner(client_for, admin_member, org, member):
    membership = Membership.objects.get(user=member, organisation=org)

    response = client_for(admin_member).post(
        reverse("member_role", args=[org.slug, membership.pk]), {"role": "owner"})

    membership.refresh_from_db()
    assert membership.role == Role.DEVELOPER
    assert _messages(response) == ["Your role cannot grant the role “Owner”."]


def test_admin_cannot_promote_themselves_to_owner(admin_member, org):
    membership = Membership.objects.get(user=admin_member, organisation=org)

    with pytest.raises(PermissionDenied):
        membership_change_role(membership=membership, actor=admin_member, role=Role.OWNER)
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_admin_cannot_change_an_owners_role(client_for, admin_member, owner, org):
    ownership = Membership.objects.get(user=owner, organisation=org)

    response = client_for(admin_member).post(reverse("member_role", args=[org.slug, ownership.pk]), {"role": "viewer"})

    ownership.refresh_from_db()
    assert ownership.role == Role.OWNER
    assert _messages(response) == ["Only an owner can change another owner's role."]


def test_admin_cannot_remove_an_owner(client_for, admin_member, owner, org):
    ownership = Membership.objects.get(user=owner, organisation=org)

    response = client_for(admin_member).post(reverse("member_remove", args=[org.slug, ownership.pk]))

    assert Membership.objects.filter(pk=ownership.pk).exists()
    assert _messages(response) == ["Only an owner can remove an owner."]


def test_owner_can_make_another_owner(client_for, owner, org, member):
    membership = Membership.objects.get(user=member, organisation=org)

    client_for(owner).post(reverse("member_role", args=[org.slug, membership.pk]), {"role": "owner"})

    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_last_owner_cannot_be_demoted(client_for, owner, org):
    ownership = Membership.objects.get(user=owner, organisation=org)

    response = client_for(owner).post(reverse("member_role", args=[org.slug, ownership.pk]), {"role": "admin"})

    ownership.refresh_from_db()
    assert ownership.role == Role.OWNER
    assert _messages(response) == ["An organisation needs at least one owner."]
    assert not AuditEvent.objects.filter(action="membership.change_role").exists()


def test_last_owner_cannot_be_removed(client_for, owner, org):
    ownership = Membership.objects.get(user=owner, organisation=org)

    response = client_for(owner).post(reverse("member_remove", args=[org.slug, ownership.pk]))

    assert Membership.objects.filter(pk=ownership.pk).exists()
    assert _messages(response) == ["An organisation needs at least one owner."]


def test_an_owner_may_step_down_when_another_owner_remains(owner, member, org):
    Membership.objects.filter(user=member, organisation=org).update(role=Role.OWNER)
    ownership = Membership.objects.get(user=owner, organisation=org)

    membership_change_role(membership=ownership, actor=owner, role=Role.ADMIN)

    assert list(org.memberships.filter(role=Role.OWNER).values_list("user__email", flat=True)) == ["dev@acme.test"]


def test_second_to_last_owner_demotion_is_refused_once_only_one_is_left(owner, member, org):
    Membership.objects.filter(user=member, organisation=org).update(role=Role.OWNER)
    first = Membership.objects.get(user=owner, organisation=org)
    second = Membership.objects.get(user=member, organisation=org)

    membership_change_role(membership=first, actor=member, role=Role.VIEWER)
    with pytest.raises(ValidationError):
        membership_change_role(membership=second, actor=member, role=Role.VIEWER)

    assert org.memberships.filter(role=Role.OWNER).count() == 1


def test_role_form_refuses_an_unknown_role(client_for, owner, org, member):
    membership = Membership.objects.get(user=member, organisation=org)

    client_for(owner).post(reverse("member_role", args=[org.slug, membership.pk]), {"role": "god"})

    membership.refresh_from_db()
    assert membership.role == Role.DEVELOPER


# ------------------------------------------------------------------ removal


def test_removing_a_member_revokes_the_api_keys_they_created(client_for, owner, admin_member, org, owner_key):
    their_key, their_raw = api_key_create(
        org=org, user=admin_member, role=Role.ADMIN, name="Admin's CI", scopes=scopes_for_role(Role.ADMIN))
    membership = Membership.objects.get(user=admin_member, organisation=org)

    response = client_for(owner).post(reverse("member_remove", args=[org.slug, membership.pk]))

    assert response.url == reverse("members", args=[org.slug])
    assert not Membership.objects.filter(pk=membership.pk).exists()
    their_key.refresh_from_db()
    assert their_key.revoked_at is not None
    assert api_key_authenticate(their_raw) is None
    assert ApiKey.objects.get(pk=owner_key[0].pk).revoked_at is None, "other members' keys stay"
    assert api_key_authenticate(owner_key[1]) is not None
    assert AuditEvent.objects.filter(action="api_key.revoke", target_id=str(their_key.pk)).count() == 1
    removal = AuditEvent.objects.get(action="membership.remove")
    assert removal.before == {"user": "admin@acme.test", "role": "admin"}


def test_removing_a_member_keeps_their_keys_in_other_organisations(owner, org, member, other_org):
    Membership.objects.create(organisation=other_org, user=member, role=Role.DEVELOPER)
    elsewhere, _ = api_key_create(org=other_org, user=member, role=Role.DEVELOPER, name="Other", scopes=["org:read"])

    membership_remove(membership=Membership.objects.get(user=member, organisation=org), actor=owner)

    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_a_member_may_leave_an_organisation(client_for, member, org):
    membership = Membership.objects.get(user=member, organisation=org)

    response = client_for(member).post(reverse("member_remove", args=[org.slug, membership.pk]))

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_developer_cannot_remove_someone_else(client_for, member, viewer, org):
    membership = Membership.objects.get(user=viewer, organisation=org)

    response = client_for(member).post(reverse("member_remove", args=[org.slug, membership.pk]))

    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_acting_on_a_membership_of_another_organisation_is_404(client_for, owner, org, other_org, outsider):
    theirs = Membership.objects.get(user=outsider, organisation=other_org)
    client = client_for(owner)

    assert client.post(reverse("member_role", args=[org.slug, theirs.pk]), {"role": "viewer"}).status_code == 404
    assert client.post(reverse("member_remove", args=[org.slug, theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == Role.OWNER


def test_the_sole_owner_gets_no_role_select_or_leave_button(client_for, owner, org):
    page = client_for(owner).get(f"/orgs/{org.slug}/members/").content.decode()
    assert "sole owner" in page
    assert 'name="role"' not in page.split("<tbody>")[1].split("</tbody>")[0]


# ---------------------------------------------------------------- what goes with a member


def _endpoint(org, user, url="https://hooks.example.com/in"):
    from console.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(organisation=org, url=url, events=["scan.finished"], secret="s" * 32,
                                          created_by=user)


def test_removing_a_member_revokes_their_pending_invitations_and_pauses_their_webhooks(
        client_for, owner, admin_member, org):
    """An admin about to be removed could invite an address they hold and walk back in, or keep an endpoint of
    theirs receiving the organisation's events."""
    theirs = InvitationFactory(organisation=org, invited_by=admin_member, role=Role.ADMIN, email="back@door.test")
    owners = InvitationFactory(organisation=org, invited_by=owner, role=Role.DEVELOPER)
    their_hook, owners_hook = _endpoint(org, admin_member), _endpoint(org, owner, "https://hooks.example.com/o")
    membership = Membership.objects.get(user=admin_member, organisation=org)

    response = client_for(owner).post(reverse("member_remove", args=[org.slug, membership.pk]))

    for row in (theirs, owners, their_hook, owners_hook):
        row.refresh_from_db()
    assert theirs.revoked_at is not None and not theirs.is_pending
    assert owners.is_pending, "the other members' invitations stay"
    assert (their_hook.is_active, owners_hook.is_active) == (False, True)
    assert AuditEvent.objects.filter(action="invitation.revoke", target_id=str(theirs.pk)).exists()
    assert AuditEvent.objects.filter(action="webhook.disable", target_id=str(their_hook.pk)).exists()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == ("admin@acme.test was removed: 1 pending invitation they sent revoked; "
                       "1 webhook they added paused.")


def test_a_revoked_invitation_of_a_removed_admin_cannot_be_accepted(client_for, owner, admin_member, org):
    from console.services import invitation_accept

    invitation = InvitationFactory(organisation=org, invited_by=admin_member, role=Role.ADMIN, email="back@door.test")
    membership_remove(membership=Membership.objects.get(user=admin_member, organisation=org), actor=owner)

    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, user=UserFactory(email="back@door.test"))
    assert not Membership.objects.filter(organisation=org, user__email="back@door.test").exists()


def test_a_demoted_admin_loses_the_invitations_their_new_role_could_not_send(owner, admin_member, org):
    to_admin = InvitationFactory(organisation=org, invited_by=admin_member, role=Role.ADMIN)
    to_viewer = InvitationFactory(organisation=org, invited_by=admin_member, role=Role.VIEWER)

    membership_change_role(membership=Membership.objects.get(user=admin_member, organisation=org), actor=owner, role=Role.DEVELOPER)

    to_admin.refresh_from_db()
    to_viewer.refresh_from_db()
    assert not to_admin.is_pending and not to_viewer.is_pending, "a developer invites nobody"


def test_an_admin_made_owner_keeps_the_invitations_they_sent(owner, admin_member, org):
    invitation = InvitationFactory(organisation=org, invited_by=admin_member, role=Role.DEVELOPER)

    membership_change_role(membership=Membership.objects.get(user=admin_member, organisation=org), actor=owner, role=Role.OWNER)

    invitation.refresh_from_db()
    assert invitation.is_pending


def test_leaving_says_you_left(client_for, member, org):
    membership = Membership.objects.get(user=member, organisation=org)

    response = client_for(member).post(reverse("member_remove", args=[org.slug, membership.pk]), follow=True)

    assert f"You left {org.name}." in [str(m) for m in response.context["messages"]]


def test_a_member_is_emailed_when_their_role_changes_or_they_are_removed(
        owner, admin_member, org, mailoutbox, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(user=admin_member, organisation=org)

    with django_capture_on_commit_callbacks(execute=True):
        membership_change_role(membership=membership, actor=owner, role=Role.VIEWER)
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(membership=membership, actor=owner)

    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["admin@acme.test"], f"Your role in {org.name} is now Viewer"),
        (["admin@acme.test"], f"You are no longer a member of {org.name}"),
    ]
    assert f"changed your role in {org.name} to Viewer." in mailoutbox[0].body
    assert f"removed you from {org.name}; your API keys there were revoked." in mailoutbox[1].body


def test_no_email_to_someone_leaving_or_changing_their_own_role(owner, member, org, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(membership=Membership.objects.get(user=member, organisation=org), actor=member)

    assert mailoutbox == []


def test_an_owner_whose_address_is_unconfirmed_cannot_invite_and_the_page_says_why(client_for, owner, org):
    owner.email_verified_at = None
    owner.save(update_fields=["email_verified_at"])
    client = client_for(owner)

    page = client.get(reverse("members", args=[org.slug])).content.decode()
    response = client.post(reverse("members", args=[org.slug]), {"email": "new@acme.test", "role": "viewer"})

    assert "Confirm your email address to invite people" in page
    assert "Send invitation" not in page
    assert "Confirm your email address first" in str(response.context["form"].non_field_errors())
    assert not Invitation.objects.filter(email="new@acme.test").exists()


def test_invitations_are_capped_per_organisation_and_hour(client_for, owner, org, settings):
    settings.INVITATION_RATE_LIMIT = (3, 3600)
    client = client_for(owner)

    answers = [client.post(reverse("members", args=[org.slug]), {"email": f"n{i}@acme.test", "role": "viewer"})
               for i in range(4)]

    assert [a.status_code for a in answers[:3]] == [302] * 3
    assert "sent 3 invitations in the last hour" in str(answers[3].context["form"].non_field_errors())
    assert Invitation.objects.filter(organisation=org).count() == 3


def test_the_refused_role_is_named_in_the_readers_language(client_for, admin_member, org, target):
    admin_member.language = "zh-hans"
    admin_member.save(update_fields=["language"])

    response = client_for(admin_member).post(reverse("member_role", args=[org.slug, target.pk]), {"role": "owner"})

    assert _messages(response) == ["你的角色无法授予“所有者”角色。"]


def test_a_removed_member_no_longer_reads_the_organisations_notifications(owner, member, org, other_org):
    from console.models import Notification

    Membership.objects.create(organisation=other_org, user=member, role=Role.DEVELOPER)
    here = Notification.objects.create(user=member, organisation=org, event="scan.finished", title="Scan of 1.0.0")
    elsewhere = Notification.objects.create(user=member, organisation=other_org, event="scan.finished", title="x")

    membership_remove(membership=Membership.objects.get(user=member, organisation=org), actor=owner)

    assert not Notification.objects.filter(pk=here.pk).exists()
    assert Notification.objects.filter(pk=elsewhere.pk).exists()


def test_the_api_lists_the_members_with_their_roles(api_with_key, owner, member, org):
    """The org:read scope said it reads the members, but no endpoint listed them."""
    response = api_with_key.get(reverse("api_members", args=[org.slug]))

    assert response.status_code == 200
    assert [(m["email"], m["role"]) for m in response.json()["results"]] == [
        ("dev@acme.test", "developer"), ("owner@acme.test", "owner")]
    assert set(response.json()["results"][0]) == {"id", "email", "full_name", "role", "joined_at"}


def test_a_key_without_org_read_cannot_list_the_members(api, owner, org):
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="stats only", scopes=["stats:read"])

    response = api.get(reverse("api_members", args=[org.slug]), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403


def test_an_admin_is_offered_no_control_over_owners_that_would_be_refused(client_for, org, owner, admin_member, invite):
    """The services refuse an admin's removal of an owner and revocation of an invitation to be owner; the page
    offered both buttons (a look at the page after the attack walk)."""
    Membership.objects.create(organisation=org, user=UserFactory(email="second-owner@acme.test"), role=Role.OWNER)
    owners_invitation, _, _ = invite(org, "future-owner@example.test", role=Role.OWNER, by=owner)
    viewers_invitation, _, _ = invite(org, "viewer@example.test", role=Role.VIEWER, by=owner)
    second = Membership.objects.get(organisation=org, user__email="second-owner@acme.test")

    page = client_for(admin_member).get(reverse("members", args=[org.slug])).content.decode()

    assert reverse("invitation_revoke", args=[org.slug, viewers_invitation.pk]) in page
    assert reverse("invitation_revoke", args=[org.slug, owners_invitation.pk]) not in page
    assert reverse("member_remove", args=[org.slug, second.pk]) not in page
    owners_page = client_for(owner).get(reverse("members", args=[org.slug])).content.decode()
    assert reverse("invitation_revoke", args=[org.slug, owners_invitation.pk]) in owners_page
    assert reverse("member_remove", args=[org.slug, second.pk]) in owners_page
