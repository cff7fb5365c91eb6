"""Members, invitations and API keys through the API: what the members and API keys pages do, with their rules
(who may give which role, the last owner, the scopes), the audit trail naming the key, and outsiders."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from conftest import make_user
from console.models import ApiKey, AuditEvent, Invitation, Membership
from console.roles import Role, Scope, scopes_for_role
from console.services import api_key_create
from console.tests.factories import InvitationFactory
from programs.tests.concurrency import postgresql_only  # noqa: F401 (fixture)


def _members(org):
    return f"/api/v1/orgs/{org.slug}/members/"


def _invitations(org):
    return f"/api/v1/orgs/{org.slug}/invitations/"


def _keys(org):
    return f"/api/v1/orgs/{org.slug}/api-keys/"


def _key_client(org, user, role, scopes) -> tuple[APIClient, ApiKey]:
    key, raw = api_key_create(org=org, user=user, role=role, name=f"{role} key", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, key


def _membership(org, user) -> Membership:
    return Membership.objects.get(organisation=org, user=user)


# ---------------------------------------------------------------- members


def test_members_list_with_ids_and_a_lookup_by_email(api_with_key, org, owner, member, viewer):
    listed = api_with_key.get(_members(org)).json()["results"]
    found = api_with_key.get(_members(org), {"email": " DEV@Acme.test "}).json()["results"]
    viewers = api_with_key.get(_members(org), {"role": "viewer"}).json()["results"]

    assert [m["email"] for m in listed] == ["dev@acme.test", "owner@acme.test", "viewer@acme.test"]
    assert [(m["id"], m["role"]) for m in found] == [(_membership(org, member).pk, "developer")]
    assert [m["email"] for m in viewers] == ["viewer@acme.test"]
    assert api_with_key.get(_members(org), {"role": "boss"}).status_code == 400


def test_a_key_changes_a_role_and_the_audit_log_names_the_key(api_with_key, org, member, owner_key):
    target = _membership(org, member)

    response = api_with_key.patch(f"{_members(org)}{target.pk}/", {"role": "admin"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "admin"
    target.refresh_from_db()
    assert target.role == Role.ADMIN
    event = AuditEvent.objects.get(action="membership.change_role")
    assert owner_key[0].prefix in event.actor_label and (event.before, event.after) == ({"role": "developer"},
                                                                                        {"role": "admin"})


def test_an_admin_key_cannot_make_an_owner_nor_touch_one(org, owner, admin_member, member):
    client, _ = _key_client(org, admin_member, Role.ADMIN, [Scope.MEMBERS_WRITE])
    developer, the_owner = _membership(org, member), _membership(org, owner)

    promoted = client.patch(f"{_members(org)}{developer.pk}/", {"role": "owner"}, format="json")
    demoted = client.patch(f"{_members(org)}{the_owner.pk}/", {"role": "viewer"}, format="json")
    removed = client.delete(f"{_members(org)}{the_owner.pk}/")

    assert [r.status_code for r in (promoted, demoted, removed)] == [403, 403, 403]
    assert promoted.json()["error"]["message"] == "Your role cannot grant the role “Owner”."
    assert set(Membership.objects.filter(organisation=org).values_list("role", flat=True)) == {
        Role.OWNER, Role.ADMIN, Role.DEVELOPER}


def test_the_last_owner_stays_an_owner_409(api_with_key, org, owner):
    the_owner = _membership(org, owner)

    demoted = api_with_key.patch(f"{_members(org)}{the_owner.pk}/", {"role": "admin"}, format="json")
    removed = api_with_key.delete(f"{_members(org)}{the_owner.pk}/")

    for response in (demoted, removed):
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "wrong_state"
        assert response.json()["error"]["message"] == "An organisation needs at least one owner."
    assert _membership(org, owner).role == Role.OWNER


def test_removing_a_member_revokes_their_keys(api_with_key, org, member):
    target = _membership(org, member)
    their_key, _ = api_key_create(org=org, user=member, role=Role.DEVELOPER, name="dev CI",
                                  scopes=[Scope.PROGRAMS_WRITE])

    response = api_with_key.delete(f"{_members(org)}{target.pk}/")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=target.pk).exists()
    their_key.refresh_from_db()
    assert their_key.revoked_at is not None
    assert api_with_key.get(f"{_members(org)}{target.pk}/").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"role": "boss"}, "role"),
    ({"role": ""}, "role"),
    ({"role": "admin", "email": "x@y.test"}, "email"),
])
def test_a_bad_role_change_is_a_field_error(api_with_key, org, member, body, field):
    target = _membership(org, member)

    response = api_with_key.patch(f"{_members(org)}{target.pk}/", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert _membership(org, member).role == Role.DEVELOPER


def test_changing_members_needs_the_members_scope(org, owner, member):
    client, _ = _key_client(org, owner, Role.OWNER, [Scope.ORG_READ])
    target = _membership(org, member)

    read = client.get(f"{_members(org)}{target.pk}/")
    changed = client.patch(f"{_members(org)}{target.pk}/", {"role": "viewer"}, format="json")
    removed = client.delete(f"{_members(org)}{target.pk}/")

    assert read.status_code == 200 and read.json()["email"] == "dev@acme.test"
    assert [changed.status_code, removed.status_code] == [403, 403]
    assert "members:write" in changed.json()["error"]["message"]
    assert _membership(org, member).role == Role.DEVELOPER


def test_a_developer_session_reads_members_but_changes_none(client_for, org, member, viewer):
    client = client_for(member)
    target = _membership(org, viewer)

    assert client.get(_members(org)).status_code == 200
    response = client.patch(f"{_members(org)}{target.pk}/", {"role": "developer"}, content_type="application/json")

    assert response.status_code == 403
    assert _membership(org, viewer).role == Role.VIEWER


# ---------------------------------------------------------------- invitations


def test_a_key_invites_someone_and_the_email_goes_out(api_with_key, org, owner_key, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_with_key.post(_invitations(org), {"email": "New.Person@Example.test", "role": "operator"},
                                     format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    invitation = Invitation.objects.get(organisation=org)
    assert (body["id"], body["email"], body["role"], body["invited_by"]) == (
        invitation.pk, "new.person@example.test", "operator", "owner@acme.test")
    assert "token" not in str(body) and "/invitations/" not in str(body.values())
    assert [m.to for m in mail.outbox] == [["new.person@example.test"]]
    assert "http://testserver/invitations/" in mail.outbox[0].body
    assert [i["id"] for i in api_with_key.get(_invitations(org)).json()["results"]] == [invitation.pk]
    assert owner_key[0].prefix in AuditEvent.objects.get(action="invitation.create").actor_label


def test_inviting_again_replaces_the_pending_invitation(api_with_key, org):
    first = api_with_key.post(_invitations(org), {"email": "a@example.test", "role": "viewer"}, format="json")
    second = api_with_key.post(_invitations(org), {"email": "A@example.test", "role": "developer"}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    pending = api_with_key.get(_invitations(org)).json()["results"]
    assert [(i["id"], i["role"]) for i in pending] == [(second.json()["id"], "developer")]


@pytest.mark.parametrize("body, status, field", [
    ({"email": "not-an-address", "role": "viewer"}, 400, "email"),
    ({"email": "a@example.test", "role": "boss"}, 400, "role"),
    ({"email": "a@example.test"}, 400, "role"),
    ({"email": "a@example.test", "role": "viewer", "message": "hi"}, 400, "message"),
    ({"email": "dev@acme.test", "role": "viewer"}, 400, "email"),  # a member already
])
def test_a_bad_invitation_is_refused_and_sends_nothing(api_with_key, org, member, body, status, field):
    response = api_with_key.post(_invitations(org), body, format="json")

    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_admin_key_cannot_invite_an_owner(org, admin_member):
    client, _ = _key_client(org, admin_member, Role.ADMIN, [Scope.MEMBERS_WRITE])

    response = client.post(_invitations(org), {"email": "boss@example.test", "role": "owner"}, format="json")

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_unconfirmed_owner_cannot_invite_403(org, owner):
    owner.email_verified_at = None
    owner.save()
    client, _ = _key_client(org, owner, Role.OWNER, [Scope.MEMBERS_WRITE])

    response = client.post(_invitations(org), {"email": "a@example.test", "role": "viewer"}, format="json")

    assert response.status_code == 403
    assert "Confirm your email address" in response.json()["error"]["message"]


def test_the_hourly_invitation_limit_is_a_409(api_with_key, org, settings):
    settings.INVITATION_RATE_LIMIT = (2, 3600)
    answers = [api_with_key.post(_invitations(org), {"email": f"p{n}@example.test", "role": "viewer"}, format="json")
               for n in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 409]
    assert answers[2].json()["error"]["code"] == "limit_reached"
    assert Invitation.objects.count() == 2
    # When to send the next one, rather than "later": the header for a script, the minutes for a person.
    assert 3590 <= int(answers[2]["Retry-After"]) <= 3600
    assert "send more in 60 minutes" in answers[2].json()["error"]["message"]


def test_revoking_an_invitation_ends_its_link(api_with_key, org, owner):
    invitation = InvitationFactory(organisation=org, invited_by=owner)

    first = api_with_key.delete(f"{_invitations(org)}{invitation.pk}/")
    again = api_with_key.delete(f"{_invitations(org)}{invitation.pk}/")

    assert (first.status_code, again.status_code) == (204, 204)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert api_with_key.get(_invitations(org)).json()["results"] == []
    assert AuditEvent.objects.filter(action="invitation.revoke").count() == 1


def test_an_accepted_invitation_cannot_be_revoked_409(api_with_key, org, owner, member):
    from django.utils import timezone

    invitation = InvitationFactory(organisation=org, invited_by=owner, accepted_at=timezone.now(), accepted_by=member)

    response = api_with_key.delete(f"{_invitations(org)}{invitation.pk}/")

    assert response.status_code == 409
    assert "remove the member" in response.json()["error"]["message"]


def test_invitations_need_the_members_scope_even_to_read(org, owner):
    client, _ = _key_client(org, owner, Role.OWNER, [Scope.ORG_READ])

    assert client.get(_invitations(org)).status_code == 403
    assert client.post(_invitations(org), {"email": "a@example.test", "role": "viewer"},
                       format="json").status_code == 403


# ---------------------------------------------------------------- API keys


def test_keys_are_listed_without_secrets_and_cannot_be_created(api_with_key, org, owner_key):
    response = api_with_key.get(_keys(org))

    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert (listed["id"], listed["prefix"], listed["created_by"], listed["active"]) == (
        owner_key[0].pk, owner_key[0].prefix, "owner@acme.test", True)
    assert sorted(listed["scopes"]) == sorted(scopes_for_role(Role.OWNER))
    assert owner_key[1] not in response.content.decode() and "key_hash" not in listed
    created = api_with_key.post(_keys(org), {"name": "more", "scopes": ["org:read"]}, format="json")
    assert created.status_code == 405
    assert ApiKey.objects.count() == 1


def test_a_key_revokes_another_and_itself(api_with_key, org, owner, owner_key):
    other, _ = api_key_create(org=org, user=owner, role=Role.OWNER, name="leaked", scopes=[Scope.PROGRAMS_READ])

    revoked = api_with_key.delete(f"{_keys(org)}{other.pk}/")
    again = api_with_key.delete(f"{_keys(org)}{other.pk}/")
    itself = api_with_key.delete(f"{_keys(org)}{owner_key[0].pk}/")
    after = api_with_key.get(_keys(org))

    assert [revoked.status_code, again.status_code, itself.status_code] == [204, 204, 204]
    assert ApiKey.objects.filter(revoked_at=None).count() == 0
    assert after.status_code == 401 and "revoked" in after.json()["error"]["message"]
    events = AuditEvent.objects.filter(action="api_key.revoke").order_by("created_at")
    assert [e.before["name"] for e in events] == ["leaked", "CI"]
    assert all(owner_key[0].prefix in e.actor_label for e in events)


def test_keys_need_their_scope_and_a_role_that_manages_them(org, owner, member):
    owners_reader, _ = _key_client(org, owner, Role.OWNER, [Scope.ORG_READ, Scope.MEMBERS_WRITE])
    developer = APIClient()
    developer.force_login(member)

    assert owners_reader.get(_keys(org)).status_code == 403
    assert developer.get(_keys(org)).status_code == 403
    with pytest.raises(Exception, match="cannot grant"):
        api_key_create(org=org, user=member, role=Role.DEVELOPER, name="x", scopes=[Scope.API_KEYS_WRITE])


def test_another_organisations_objects_are_404(api_with_key, org, outsider, other_org):
    theirs = Membership.objects.get(organisation=other_org, user=outsider)
    their_key, _ = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="theirs",
                                  scopes=[Scope.ORG_READ])
    their_invitation = InvitationFactory(organisation=other_org, invited_by=outsider)

    answers = [
        api_with_key.get(f"{_members(org)}{theirs.pk}/"),
        api_with_key.patch(f"{_members(org)}{theirs.pk}/", {"role": "viewer"}, format="json"),
        api_with_key.delete(f"{_members(org)}{theirs.pk}/"),
        api_with_key.delete(f"{_invitations(org)}{their_invitation.pk}/"),
        api_with_key.get(f"{_keys(org)}{their_key.pk}/"),
        api_with_key.delete(f"{_keys(org)}{their_key.pk}/"),
        api_with_key.get(_members(other_org)),
        api_with_key.get(_keys(other_org)),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    their_key.refresh_from_db()
    their_invitation.refresh_from_db()
    assert their_key.revoked_at is None and their_invitation.revoked_at is None
    assert Membership.objects.get(pk=theirs.pk).role == Role.OWNER


# ---------------------------------------------------------------- what an attack walk found


def test_a_role_is_read_under_the_lock_not_trusted_from_before(org, owner, member):
    """A request in flight while its sender was demoted made a viewer an owner (7 of 15 rounds): the services
    took the role read before the lock. They now read it under the lock."""
    from django.core.exceptions import PermissionDenied

    from console.services import membership_change_role

    second_owner = Membership.objects.create(organisation=org, user=make_user("o2@acme.test"), role=Role.OWNER)
    Membership.objects.filter(pk=second_owner.pk).update(role=Role.VIEWER)  # demoted a moment ago

    with pytest.raises(PermissionDenied):
        membership_change_role(membership=_membership(org, member), actor=second_owner.user, role=Role.OWNER)
    assert _membership(org, member).role == Role.DEVELOPER


def test_a_removed_member_or_a_revoked_key_sends_no_invitation(org, owner, member):
    from django.core.exceptions import PermissionDenied

    from console.services import api_key_revoke, invitation_create

    admin = Membership.objects.create(organisation=org, user=make_user("a2@acme.test"), role=Role.ADMIN).user
    key, _ = api_key_create(org=org, user=admin, role=Role.ADMIN, name="admin CI", scopes=[Scope.MEMBERS_WRITE])
    api_key_revoke(api_key=key, actor=owner)
    with pytest.raises(PermissionDenied):
        invitation_create(org=org, email="x@example.test", role=Role.ADMIN, invited_by=admin, api_key=key,
                          accept_url_builder=str)
    Membership.objects.filter(user=admin).delete()
    with pytest.raises(PermissionDenied):
        invitation_create(org=org, email="x@example.test", role=Role.ADMIN, invited_by=admin, accept_url_builder=str)
    assert not Invitation.objects.exists()


def test_the_target_is_read_under_the_lock_an_admin_removes_no_fresh_owner(org, owner, admin_member, member):
    """An owner promoted a developer while an admin removed them: the admin's stale copy said developer."""
    from django.core.exceptions import PermissionDenied

    from console.services import membership_remove

    stale = _membership(org, member)
    Membership.objects.filter(pk=stale.pk).update(role=Role.OWNER)

    with pytest.raises(PermissionDenied):
        membership_remove(membership=stale, actor=admin_member)
    assert _membership(org, member).role == Role.OWNER


def test_a_member_removed_a_moment_ago_is_a_404_not_a_500(api_with_key, org, member):
    target = _membership(org, member)
    from console.services import membership_change_role, membership_remove

    stale = Membership.objects.get(pk=target.pk)
    membership_remove(membership=target, actor=org.memberships.get(role=Role.OWNER).user)

    from console.exceptions import NamedNotFound

    for call in (lambda: membership_change_role(membership=stale, actor=org.memberships.get().user,
                                                role=Role.VIEWER),
                 lambda: membership_remove(membership=stale, actor=org.memberships.get().user)):
        with pytest.raises(NamedNotFound):
            call()
    assert AuditEvent.objects.filter(action="membership.remove").count() == 1


def test_the_same_role_again_records_nothing_and_emails_nobody(api_with_key, org, member, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    target = _membership(org, member)

    with django_capture_on_commit_callbacks(execute=True):
        same = api_with_key.patch(f"{_members(org)}{target.pk}/", {"role": "developer"}, format="json")
        empty = api_with_key.patch(f"{_members(org)}{target.pk}/", {}, format="json")

    assert (same.status_code, empty.status_code) == (200, 200)
    assert same.json()["role"] == empty.json()["role"] == "developer"
    assert not AuditEvent.objects.filter(action="membership.change_role").exists()
    assert mailoutbox == []


def test_an_admin_neither_replaces_nor_revokes_an_owners_invitation_to_an_owner(org, owner, admin_member, invite):
    owners_invitation, _, _ = invite(org, "future-owner@example.test", role=Role.OWNER, by=owner)
    client, _ = _key_client(org, admin_member, Role.ADMIN, [Scope.MEMBERS_WRITE])

    replaced = client.post(_invitations(org), {"email": "future-owner@example.test", "role": "viewer"}, format="json")
    revoked = client.delete(f"{_invitations(org)}{owners_invitation.pk}/")

    assert (replaced.status_code, revoked.status_code) == (403, 403)
    owners_invitation.refresh_from_db()
    assert owners_invitation.is_pending


def test_a_replaced_invitation_is_revoked_in_the_audit_log(api_with_key, org):
    first = api_with_key.post(_invitations(org), {"email": "a@example.test", "role": "viewer"}, format="json").json()
    api_with_key.post(_invitations(org), {"email": "a@example.test", "role": "developer"}, format="json")

    revoked = AuditEvent.objects.get(action="invitation.revoke")
    assert revoked.target_id == str(first["id"])


def test_a_refused_invitation_costs_none_of_the_hours_limit(api_with_key, org, member, settings):
    settings.INVITATION_RATE_LIMIT = (1, 3600)

    refused = api_with_key.post(_invitations(org), {"email": "dev@acme.test", "role": "viewer"}, format="json")
    sent = api_with_key.post(_invitations(org), {"email": "new@example.test", "role": "viewer"}, format="json")

    assert (refused.status_code, sent.status_code) == (400, 201)


def test_the_schema_names_each_methods_own_refusals(api):
    schema = api.get("/api/schema/?format=json").json()["paths"]
    invitations = schema["/api/v1/orgs/{org_slug}/invitations/"]
    member = schema["/api/v1/orgs/{org_slug}/members/{member_id}/"]

    assert "409" not in invitations["get"]["responses"] and "409" in invitations["post"]["responses"]
    assert "not confirmed" in invitations["post"]["responses"]["403"]["description"]
    assert "409" not in member["get"]["responses"]
    assert {"409"} <= set(member["patch"]["responses"]) & set(member["delete"]["responses"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("round_", range(4))
def test_an_owner_demoted_at_the_same_moment_makes_no_owner_after(org, owner, member, round_):
    """Real concurrent transactions: one owner demotes another while that one promotes a developer. Either the
    promotion came first, or it is refused; never a promotion by someone already a viewer."""
    from console.services import membership_change_role
    from programs.tests.concurrency import race_with

    second = Membership.objects.create(organisation=org, user=make_user(f"o{round_}@acme.test"), role=Role.OWNER)
    developer = _membership(org, member)

    def demote(_):
        return membership_change_role(membership=Membership.objects.get(pk=second.pk), actor=owner, role=Role.VIEWER)

    def promote(_):
        return membership_change_role(membership=Membership.objects.get(pk=developer.pk), actor=second.user,
                                      role=Role.OWNER)

    results = race_with((lambda: None, demote), (lambda: None, promote))

    assert isinstance(results[0], Membership), results
    changes = list(AuditEvent.objects.filter(action="membership.change_role").order_by("created_at")
                   .values_list("target_id", flat=True))
    if isinstance(results[1], Membership):  # the promotion won the lock: it came first
        assert changes == [str(developer.pk), str(second.pk)]
    else:
        assert changes == [str(second.pk)] and _membership(org, member).role == Role.DEVELOPER
