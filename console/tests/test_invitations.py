"""Invitations: sending (members page), the link (/invitations/<token>/), accepting once, and refusals."""

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console.models import AuditEvent, Invitation, Membership
from console.roles import Role
from console.services import invitation_accept, invitation_revoke
from console.tasks import delete_stale_invitations
from console.tests.factories import PASSWORD, InvitationFactory, UserFactory


def _link(message) -> str:
    match = re.search(r"http://testserver(/invitations/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_inviting_from_the_members_page_emails_a_link(client_for, owner, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            reverse("members", args=[org.slug]), {"email": "New.Person@Example.test", "role": "operator"})

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == ("new.person@example.test", "operator", owner)
    assert abs(invitation.expires_at - invitation.created_at - timedelta(days=7)) < timedelta(seconds=1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert message.subject == "You are invited to join Acme Apps"
    assert "owner@acme.test invited you to join Acme Apps on the mini-program console as Operator." in message.body
    token = _link(message).split("/")[2]
    assert token not in invitation.token_hash
    assert Invitation.objects.filter(token_hash__contains=token).count() == 0
    event = AuditEvent.objects.get(action="invitation.create")
    assert event.after == {"email": "new.person@example.test", "role": "operator"}


def test_no_email_is_sent_when_the_invitation_is_not_committed(client_for, owner, org):
    # Outside a captured commit nothing runs: the mail goes out only after the transaction commits.
    client_for(owner).post(reverse("members", args=[org.slug]), {"email": "new@acme.test", "role": "viewer"})

    assert Invitation.objects.count() == 1
    assert mail.outbox == []


def test_invitee_signs_up_through_the_link_and_joins(client, org, invite):
    invitation, _, path = invite(org, "newbie@example.test", role=Role.OPERATOR)

    page = client.get(path)
    assert page.status_code == 200
    assert "Join Acme Apps" in page.content.decode()
    assert f"{reverse('sign_up')}?next={path}" in page.content.decode()
    signup = client.post(reverse("sign_up"), {
        "email": "newbie@example.test", "password": "a-long-unusual-passphrase-42", "next": path})
    assert signup.url == path
    response = client.post(path)

    assert response.url == reverse("organisation_dashboard", args=[org.slug])
    membership = Membership.objects.get(organisation=org, user__email="newbie@example.test")
    assert membership.role == Role.OPERATOR
    invitation.refresh_from_db()
    assert invitation.accepted_by == membership.user
    assert invitation.status == "accepted"
    assert "You joined Acme Apps." in [str(m) for m in get_messages(response.wsgi_request)]


def test_the_emailed_link_works_once(client, org, invite):
    UserFactory(email="joiner@example.test")
    _, _, path = invite(org, "joiner@example.test")
    link = _link(mail.outbox[0])
    assert link == path
    client.post(reverse("login"), {"username": "joiner@example.test", "password": PASSWORD})

    first = client.post(link)
    second = client.post(link, follow=True)

    assert first.url == reverse("organisation_dashboard", args=[org.slug])
    assert Membership.objects.filter(organisation=org, user__email="joiner@example.test").count() == 1
    assert "You are already a member of Acme Apps; this invitation is no longer needed." in second.content.decode()
    assert "This invitation has expired, was revoked or was already used." not in second.content.decode()


def test_back_after_accepting_tells_a_member_so_with_a_link_to_the_organisation(client, org, invite):
    """It said 已失效（已被使用）…请联系组织管理员重新邀请 to someone who had just joined."""
    client.force_login(UserFactory(email="joiner@example.test"))
    _, _, path = invite(org, "joiner@example.test")
    client.post(path)

    html = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "你已是 Acme Apps 的成员" in html
    assert f'href="{reverse("organisation_dashboard", args=[org.slug])}"' in html
    assert "重新邀请" not in html


def test_a_replaced_link_does_not_say_someone_revoked_it(client, org, invite):
    first, _, first_path = invite(org, "again@example.test")
    invite(org, "again@example.test")

    html = client.get(first_path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "此邀请已失效（已撤销或已被新的邀请取代）。" in html


def test_wrong_account_is_refused_with_a_clear_message(client_for, org, invite, outsider):
    _, _, path = invite(org, "someone.else@example.test")
    client = client_for(outsider)

    page = client.get(path)
    response = client.post(path, follow=True)

    assert page.context["wrong_account"] is True
    assert ("This invitation is for someone.else@example.test, but you are signed in as mallory@evil.test."
            in page.content.decode())
    assert not Membership.objects.filter(organisation=org, user=outsider).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "This invitation was sent to someone.else@example.test; sign in with that address."]
    assert Invitation.objects.get().accepted_at is None


def test_invited_address_matches_whatever_its_case(org, invite):
    user = UserFactory(email="mixed@example.test")
    invitation, _, _ = invite(org, "MIXED@Example.test")

    membership = invitation_accept(invitation=invitation, user=user)

    assert membership.organisation == org


def test_expired_link_is_refused(client, org, invite):
    UserFactory(email="late@example.test")
    invitation, _, path = invite(org, "late@example.test")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.post(reverse("login"), {"username": "late@example.test", "password": PASSWORD})

    page = client.get(path)
    response = client.post(path, follow=True)

    assert "This invitation is expired." in page.content.decode()
    assert "This invitation has expired, was revoked or was already used." in response.content.decode()
    assert not Membership.objects.filter(organisation=org, user__email="late@example.test").exists()


def test_revoked_link_is_refused(client_for, owner, org, invite):
    invitee = UserFactory(email="revoked@example.test")
    invitation, _, path = invite(org, "revoked@example.test")
    client_for(owner).post(reverse("invitation_revoke", args=[org.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == "revoked"

    client = Client()
    client.force_login(invitee)
    response = client.post(path, follow=True)

    assert "This invitation has expired, was revoked or was already used." in response.content.decode()
    assert not Membership.objects.filter(organisation=org, user=invitee).exists()
    assert AuditEvent.objects.filter(action="invitation.revoke", target_id=str(invitation.pk)).count() == 1


def test_revoking_twice_is_audited_once(owner, org, invite):
    invitation, _, _ = invite(org, "twice@example.test")

    invitation_revoke(invitation=invitation, actor=owner)
    invitation_revoke(invitation=invitation, actor=owner)

    assert AuditEvent.objects.filter(action="invitation.revoke").count() == 1


def test_unknown_token_is_404(client, db):
    response = client.get(reverse("invitation_accept", args=["no-such-token"]))

    assert response.status_code == 404
    assert "Invitation not found" in response.content.decode()


def test_anonymous_post_does_not_accept(client, org, invite):
    invitation, _, path = invite(org, "anon@example.test")

    response = client.post(path)

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_reinviting_replaces_the_pending_invitation(client, org, invite):
    first, _, first_path = invite(org, "again@example.test", role=Role.VIEWER)
    second, _, second_path = invite(org, "Again@example.test", role=Role.DEVELOPER)
    user = UserFactory(email="again@example.test")
    client.force_login(user)

    first.refresh_from_db()
    assert first.status == "revoked"
    assert second.status == "pending"
    assert len(mail.outbox) == 2
    assert client.post(first_path).url == first_path, "the old link no longer works"
    assert client.post(second_path).url == reverse("organisation_dashboard", args=[org.slug])
    assert Membership.objects.get(organisation=org, user=user).role == Role.DEVELOPER


def test_inviting_an_existing_member_is_refused(client_for, owner, org, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            reverse("members", args=[org.slug]), {"email": "DEV@acme.test", "role": "viewer"})

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["dev@acme.test is already a member."]
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_admin_cannot_invite_an_owner(admin_member, org, invite):
    with pytest.raises(PermissionDenied):
        invite(org, "boss@example.test", role=Role.OWNER, by=admin_member)

    assert not Invitation.objects.exists()


def test_members_page_refuses_an_owner_invitation_from_an_admin(client_for, admin_member, org):
    response = client_for(admin_member).post(
        reverse("members", args=[org.slug]), {"email": "boss@example.test", "role": "owner"})

    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_second_accept_raises_a_clear_error_and_makes_no_second_membership(org, invite):
    user = UserFactory(email="double@example.test")
    invitation, _, _ = invite(org, "double@example.test")

    invitation_accept(invitation=invitation, user=user)
    with pytest.raises(ValidationError) as refused:
        invitation_accept(invitation=invitation, user=user)

    assert refused.value.messages == ["This invitation has expired, was revoked or was already used."]
    assert Membership.objects.filter(organisation=org, user=user).count() == 1
    assert AuditEvent.objects.filter(action="invitation.accept").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_double_click_makes_one_membership(owner, org):
    user = UserFactory(email="clicker@example.test")
    invitation = InvitationFactory(organisation=org, email="clicker@example.test", invited_by=owner)
    barrier = threading.Barrier(2)
    outcomes = []

    def click():
        try:
            barrier.wait()
            invitation_accept(invitation=Invitation.objects.get(pk=invitation.pk), user=user)
            outcomes.append("joined")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["This invitation has expired, was revoked or was already used.", "joined"]
    assert Membership.objects.filter(organisation=org, user=user).count() == 1


def test_stale_invitations_are_pruned_and_live_ones_kept(org, owner):
    old = InvitationFactory(organisation=org, expires_at=timezone.now() - timedelta(days=31))
    recent = InvitationFactory(organisation=org, expires_at=timezone.now() - timedelta(days=2))
    live = InvitationFactory(organisation=org)

    assert delete_stale_invitations.delay().get() == 1

    assert set(Invitation.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert not Invitation.objects.filter(pk=old.pk).exists()


def test_the_members_page_writes_join_dates_as_iso_dates(client_for, owner, org):
    membership = Membership.objects.get(organisation=org, user=owner)
    Membership.objects.filter(pk=membership.pk).update(created_at=timezone.make_aware(timezone.datetime(2026, 10, 17, 9)))

    html = client_for(owner).get(reverse("members", args=[org.slug])).content.decode()
    assert ">2026-10-17</time>" in html
    assert "Oct. 17" not in html


def test_signing_up_from_the_link_fills_the_address_and_sends_no_confirmation_to_click(
        client, org, invite, django_capture_on_commit_callbacks):
    """Accepting proves the address, so the "Confirm your email address" mail was one more thing to click."""
    _, _, path = invite(org, "newbie@example.test")
    page = client.get(path).content.decode()
    sign_up_link = re.search(r'href="(/accounts/signup/\?[^"]+)"', page).group(1).replace("&amp;", "&")

    sign_up_page = client.get(sign_up_link)
    form = sign_up_page.context["form"]
    assert "You will join Acme Apps as Developer. The invitation is for newbie@example.test" in (
        sign_up_page.content.decode())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sign_up"), {"email": form.initial["email"], "password": "a-long-unusual-passphrase-42",
                                         "next": path})

    assert form.initial["email"] == "newbie@example.test"
    assert mail.outbox == []


def test_signing_up_as_another_address_from_the_link_still_gets_the_confirmation(
        client, org, invite, django_capture_on_commit_callbacks):
    _, _, path = invite(org, "newbie@example.test")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sign_up"), {"email": "other@example.test", "password": "a-long-unusual-passphrase-42",
                                         "next": path})

    assert [m.subject for m in mail.outbox] == ["Confirm your email address"]


def test_the_wrong_account_page_offers_to_sign_out_and_come_back(client_for, org, invite, outsider):
    _, _, path = invite(org, "someone.else@example.test")
    client = client_for(outsider)

    page = client.get(path).content.decode()
    signed_out = client.post(reverse("logout"), {"next": path})

    assert f'action="{reverse("logout")}"' in page and f'name="next" value="{path}"' in page
    assert signed_out.url == path


def test_the_invitation_page_does_not_ask_an_unconfirmed_invitee_to_open_a_link_never_sent(client, org, invite):
    _, _, path = invite(org, "newbie@example.test")
    client.post(reverse("sign_up"), {"email": "newbie@example.test", "password": "a-long-unusual-passphrase-42",
                                     "next": path})

    invitation_page = client.get(path).content.decode()
    elsewhere = client.get(reverse("organisation_create")).content.decode()

    assert "verify-banner" not in invitation_page and "Accept invitation" in invitation_page
    assert "verify-banner" in elsewhere


def test_inviting_an_address_again_says_the_earlier_link_no_longer_works(client_for, owner, org):
    client = client_for(owner)
    client.post(reverse("members", args=[org.slug]), {"email": "twice@example.test", "role": "viewer"})

    again = client.post(reverse("members", args=[org.slug]), {"email": "Twice@example.test", "role": "viewer"})

    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == (
        "Invitation sent to twice@example.test; the link sent earlier no longer works.")
