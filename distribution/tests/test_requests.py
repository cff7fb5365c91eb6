"""The developer's side: requesting a scene (eligibility, evidence, one open request, roles), withdrawing, renewing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.exceptions import Conflict
from console.models import AuditEvent
from distribution.eligibility import Reason, State
from distribution.models import EvidenceFile, Grant, WhitelistRequest
from distribution.selectors import scene_row
from distribution.services import NotEligible, whitelist_approve, whitelist_request_withdraw
from distribution.tests.conftest import ACCOUNTS, grant_scene, pdf, request_scene, scene
from programs.models import MiniProgram


def test_a_request_is_pending_with_its_evidence_and_audited(service_program, owner):
    request = request_scene(service_program, "weibo.feed", owner, evidence=[pdf()])

    assert request.status == WhitelistRequest.Status.PENDING
    evidence = EvidenceFile.objects.get(request=request)
    assert (evidence.original_name, evidence.content_type, evidence.size) == ("licence.pdf", "application/pdf", 20)
    assert evidence.file.read().startswith(b"%PDF")
    event = AuditEvent.objects.get(action="whitelist.request")
    assert (event.organisation_id, event.actor_label, event.after["scene"]) == (
        service_program.organisation_id, owner.email, "weibo.feed")


def test_a_non_service_program_is_refused_the_feed_at_submission(tools_program, owner):
    with pytest.raises(NotEligible) as refused:
        request_scene(tools_program, "weibo.feed", owner)

    assert refused.value.refusal.code == Reason.NOT_SERVICE_TYPE
    assert not WhitelistRequest.objects.exists()


def test_an_open_scene_takes_no_request(service_program, owner):
    with pytest.raises(Exception, match="open to every eligible program"):
        request_scene(service_program, "weibo.private_message", owner)


def test_the_feed_needs_evidence(service_program, owner):
    with pytest.raises(Exception, match="needs evidence files"):
        request_scene(service_program, "weibo.feed", owner, evidence=[])


def test_evidence_is_checked_by_its_magic_bytes_not_its_name(service_program, owner):
    fake = pdf("licence.pdf", b"MZ\x90\x00 an executable")

    with pytest.raises(Exception, match="not a PDF, PNG or JPEG"):
        request_scene(service_program, "weibo.feed", owner, evidence=[fake])
    assert not WhitelistRequest.objects.exists()


def test_evidence_larger_than_the_limit_is_refused(service_program, owner, settings):
    settings.DISTRIBUTION_EVIDENCE_MAX_BYTES = 1024

    with pytest.raises(Exception, match="larger than"):
        request_scene(service_program, "weibo.feed", owner, evidence=[pdf(data=b"%PDF" + b"0" * 2000)])


def test_a_second_request_while_one_is_pending_is_a_conflict(service_program, owner):
    request_scene(service_program, "weibo.profile", owner)

    with pytest.raises(Conflict):
        request_scene(service_program, "weibo.profile", owner)
    assert WhitelistRequest.objects.filter(status="pending").count() == 1


def test_a_double_click_on_the_request_form_makes_one_request(client_for, owner, service_program):
    url = reverse("distribution_request_new", args=[service_program.organisation.slug, service_program.appid,
                                                    "weibo.profile"])
    client = client_for(owner)

    first = client.post(url, {"justification": "Pinned by the city's accounts."})
    second = client.post(url, {"justification": "Pinned by the city's accounts."})

    assert first.status_code == 302 and second.status_code == 302
    assert WhitelistRequest.objects.filter(program=service_program).count() == 1
    assert "/distribution/" in second.url


def test_withdraw_while_pending_then_request_again(service_program, owner):
    request = request_scene(service_program, "weibo.profile", owner)

    whitelist_request_withdraw(request=request, actor=owner)

    assert request.status == "withdrawn"
    assert AuditEvent.objects.filter(action="whitelist.withdraw", target_id=str(request.pk)).exists()
    assert request_scene(service_program, "weibo.profile", owner).status == "pending"


def test_a_decided_request_cannot_be_withdrawn(service_program, owner, operator):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)

    with pytest.raises(Exception, match="cannot become"):
        whitelist_request_withdraw(request=grant.request, actor=owner)


def test_a_program_granted_for_a_long_time_cannot_ask_again(service_program, owner, operator):
    grant_scene(service_program, "weibo.profile", owner, operator, days=60)

    with pytest.raises(Exception, match="granted this scene until"):
        request_scene(service_program, "weibo.profile", owner)


def test_a_renewal_carries_the_placements_and_caps_over(service_program, owner, operator):
    old = grant_scene(service_program, "weibo.profile", owner, operator, days=5, share_cap=2, rollout_percent=40)

    renewal = request_scene(service_program, "weibo.profile", owner)
    assert renewal.renewal_of_id == old.pk
    assert scene_row(service_program, scene("weibo.profile")).renewal_pending
    new = whitelist_approve(request=renewal, operator=operator, valid_until=timezone.now() + timedelta(days=80),
                            share_cap=2, rollout_percent=40)

    old.refresh_from_db()
    assert old.status == Grant.Status.RENEWED
    assert new.status == Grant.Status.ACTIVE
    assert sorted(new.placements.values_list("account_uid", "account_name")) == sorted(
        (a["account_uid"], a["account_name"]) for a in ACCOUNTS)
    assert scene_row(service_program, scene("weibo.profile")).state == State.GRANTED


@pytest.mark.parametrize("role, status", [("owner", 200), ("admin", 200), ("operator", 200), ("developer", 403),
                                          ("viewer", 403)])
def test_who_may_open_the_request_form(client, org, user_with_role, role, status):
    from distribution.tests.conftest import program_in

    program = program_in(org, "life-services")
    client.force_login(user_with_role(role))

    response = client.get(reverse("distribution_request_new", args=[org.slug, program.appid, "weibo.profile"]))

    assert response.status_code == status


@pytest.fixture
def user_with_role(org, owner, member, viewer):
    from console.models import Membership
    from console.roles import Role
    from console.tests.factories import UserFactory

    admin = UserFactory(email="adm@acme.test")
    ops = UserFactory(email="ops@acme.test")
    Membership.objects.create(organisation=org, user=admin, role=Role.ADMIN)
    Membership.objects.create(organisation=org, user=ops, role=Role.OPERATOR)
    return {"owner": owner, "admin": admin, "operator": ops, "developer": member, "viewer": viewer}.__getitem__


def test_the_request_form_shows_the_refusal_for_a_non_service_program(client_for, owner, tools_program):
    url = reverse("distribution_request_new", args=[tools_program.organisation.slug, tools_program.appid,
                                                    "weibo.feed"])

    response = client_for(owner).post(url, {"justification": "We are useful.", "evidence": pdf()})

    assert response.status_code == 400
    assert "service-type categories" in response.content.decode()
    assert not WhitelistRequest.objects.exists()


def test_member_downloads_evidence_as_an_attachment(client_for, owner, service_program):
    request = request_scene(service_program, "weibo.feed", owner)
    evidence = request.evidence.get()

    response = client_for(owner).get(reverse("distribution_request_evidence", args=[
        service_program.organisation.slug, service_program.appid, request.pk, evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_deleted_programs_are_not_reachable(client_for, owner, service_program):
    MiniProgram.objects.filter(pk=service_program.pk).update(deleted_at=timezone.now())

    response = client_for(owner).get(reverse("program_distribution", args=[service_program.organisation.slug,
                                                                           service_program.appid]))

    assert response.status_code == 404


def test_a_renewed_topic_window_that_ran_to_the_old_end_runs_to_the_new_one(service_program, owner, operator):
    """Carried over as they were, the renewed hot-search cards stopped on the old grant's last day."""
    now = timezone.now()
    old = grant_scene(service_program, "weibo.hot_search", owner, operator, days=5, placements=[
        {"topic": "whole-grant", "starts_at": now, "ends_at": now + timedelta(days=5), "landing_page": "pages/a"},
        {"topic": "one-day", "starts_at": now, "ends_at": now + timedelta(days=1), "landing_page": "pages/b"}])
    Grant.objects.filter(pk=old.pk).update(valid_until=old.placements.get(topic="whole-grant").ends_at)
    old.refresh_from_db()
    renewal = request_scene(service_program, "weibo.hot_search", owner)
    until = now + timedelta(days=12)

    new = whitelist_approve(request=renewal, operator=operator, valid_until=until)

    ends = dict(new.placements.values_list("topic", "ends_at"))
    assert ends["whole-grant"] == until
    assert ends["one-day"] == old.placements.get(topic="one-day").ends_at
