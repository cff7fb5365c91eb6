"""Operators' decisions: approve with caps and placements, reject and revoke with reasons, who may decide, audit."""

from datetime import UTC, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from console.exceptions import Conflict
from console.models import AuditEvent, Membership, Notification, WebhookDelivery, WebhookEndpoint
from console.roles import Role
from distribution.invalidation import distribution_generation
from distribution.lifecycle import OPERATOR_LABEL
from distribution.models import Grant, Placement
from distribution.services import grant_revoke, grant_set_placements, whitelist_approve, whitelist_reject
from distribution.tests.conftest import ACCOUNTS, request_scene

IN_30_DAYS = timedelta(days=30)


def _approve(request, operator, **kwargs):
    kwargs.setdefault("valid_until", timezone.now() + IN_30_DAYS)
    return whitelist_approve(request=request, operator=operator, **kwargs)


def test_approve_with_two_accounts_and_one_share_per_hour(service_program, owner, operator,
                                                          django_capture_on_commit_callbacks):
    request = request_scene(service_program, "weibo.profile", owner)
    before = distribution_generation()

    with django_capture_on_commit_callbacks(execute=True):
        grant = _approve(request, operator, share_cap=1, share_window_seconds=3600, placements=ACCOUNTS)

    assert (grant.status, grant.effective_share_cap(), grant.effective_share_window()) == ("active", 1, 3600)
    assert list(grant.placements.values_list("kind", "account_uid", "account_name")) == [
        ("account", "1669879400", "City Daily"), ("account", "2803301701", "Bike Club")]
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", operator)
    assert distribution_generation() == before + 1


def test_caps_left_empty_follow_the_scene(service_program, owner, operator):
    grant = _approve(request_scene(service_program, "weibo.feed", owner), operator)

    assert (grant.share_cap, grant.effective_share_cap(), grant.effective_share_window()) == (None, 1, 3600)
    assert grant.rollout_percent == 100


def test_an_operator_may_loosen_the_scenes_cap(service_program, owner, operator):
    grant = _approve(request_scene(service_program, "weibo.feed", owner), operator, share_cap=5, daily_cap=1000)

    assert (grant.effective_share_cap(), grant.effective_daily_cap()) == (5, 1000)


def test_validity_is_capped_by_the_scenes_longest_grant(service_program, owner, operator):
    request = request_scene(service_program, "weibo.feed", owner)  # at most 30 days

    with pytest.raises(ValidationError) as refused:
        _approve(request, operator, valid_until=timezone.now() + timedelta(days=45))

    assert "at most 30 days" in refused.value.message_dict["valid_until"][0]
    assert not Grant.objects.exists()


def test_the_profile_scene_needs_named_accounts(service_program, owner, operator):
    request = request_scene(service_program, "weibo.profile", owner)

    with pytest.raises(ValidationError, match="Weibo account"):
        _approve(request, operator, placements=[])


def test_topic_placements_need_a_window_and_a_page_inside_the_program(service_program, owner, operator):
    request = request_scene(service_program, "weibo.hot_search", owner)  # at most 14 days
    now = timezone.now()
    bad_page = {"topic": "car-free-day", "starts_at": now, "ends_at": now + timedelta(days=1),
                "landing_page": "https://evil.example/phish"}
    backwards = {**bad_page, "landing_page": "pages/routes/index", "ends_at": now - timedelta(days=1)}

    until = now + timedelta(days=10)

    with pytest.raises(ValidationError, match="page path inside the program"):
        _approve(request, operator, valid_until=until, placements=[bad_page])
    with pytest.raises(ValidationError, match="end after it starts"):
        _approve(request, operator, valid_until=until, placements=[backwards])
    grant = _approve(request, operator, valid_until=until, placements=[{**backwards, "ends_at": now + timedelta(days=2)}])
    assert grant.placements.get().landing_page == "pages/routes/index"


def test_an_operator_of_another_host_cannot_decide(service_program, owner, alipay_operator):
    request = request_scene(service_program, "weibo.profile", owner)

    with pytest.raises(PermissionDenied):
        _approve(request, alipay_operator, placements=ACCOUNTS)


def test_an_operator_never_decides_their_own_organisations_request(service_program, owner, operator, org):
    Membership.objects.create(organisation=org, user=operator, role=Role.VIEWER)
    request = request_scene(service_program, "weibo.profile", owner)

    with pytest.raises(PermissionDenied, match="another operator"):
        _approve(request, operator, placements=ACCOUNTS)


def test_reject_with_a_catalog_reason_tells_the_org_without_naming_the_operator(service_program, owner, operator):
    request = request_scene(service_program, "weibo.profile", owner)

    whitelist_reject(request=request, operator=operator, reason="placement-not-authorised", text="Ask them first.")

    request.refresh_from_db()
    assert (request.status, request.rejection_reason.code, request.decision_text) == (
        "rejected", "placement-not-authorised", "Ask them first.")
    event = AuditEvent.objects.get(action="whitelist.reject")
    assert (event.actor_label, event.organisation_id, event.actor_id) == (
        OPERATOR_LABEL, service_program.organisation_id, operator.pk)
    note = Notification.objects.get(user=owner, event="whitelist.decided")
    assert "rejected" in note.title
    assert "Accounts or campaigns not authorised" in note.body and "Ask them first." in note.body
    assert operator.email not in note.body + note.title + str(note.payload)


def test_reject_needs_a_reason_from_the_catalog(service_program, owner, operator):
    request = request_scene(service_program, "weibo.profile", owner)

    with pytest.raises(ValidationError, match="reason"):
        whitelist_reject(request=request, operator=operator, reason="made-up")


def test_a_decided_request_cannot_be_decided_again(service_program, owner, operator, other_operator):
    request = request_scene(service_program, "weibo.profile", owner)
    _approve(request, operator, placements=ACCOUNTS)

    with pytest.raises(Conflict, match="already decided"):
        whitelist_reject(request=request, operator=other_operator, reason="scene-rules")
    assert Grant.objects.count() == 1


def test_revoke_is_effective_at_once_audited_and_notified(service_program, owner, operator,
                                                          django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(organisation=service_program.organisation, url="https://hooks.acme.test/x",
                                   secret="s", events=["whitelist.revoked"])
    grant = _approve(request_scene(service_program, "weibo.profile", owner), operator, placements=ACCOUNTS)
    before = distribution_generation()

    with django_capture_on_commit_callbacks(execute=False):
        grant_revoke(grant=grant, operator=operator, reason="user-complaints", text="Many reports.")

    grant.refresh_from_db()
    assert (grant.status, grant.revoke_reason.code, grant.revoked_by) == ("revoked", "user-complaints", operator)
    assert Notification.objects.filter(user=owner, event="whitelist.revoked").count() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.payload["data"]["reason"]) == ("whitelist.revoked", "user-complaints")
    assert AuditEvent.objects.get(action="grant.revoke").actor_label == OPERATOR_LABEL
    with pytest.raises(Conflict):
        grant_revoke(grant=grant, operator=operator, reason="user-complaints")
    assert distribution_generation() == before  # bumped only once the transaction commits (captured here)


def test_placements_can_be_changed_on_a_live_grant(service_program, owner, operator):
    grant = _approve(request_scene(service_program, "weibo.profile", owner), operator, placements=ACCOUNTS)

    grant_set_placements(grant=grant, operator=operator, placements=[ACCOUNTS[1]])

    assert list(Placement.objects.filter(grant=grant).values_list("account_uid", flat=True)) == ["2803301701"]
    assert AuditEvent.objects.filter(action="grant.placements").exists()


def test_a_grant_notification_reaches_members_in_their_language(service_program, owner, operator, member):
    member.language = "zh-hans"
    member.save()

    _approve(request_scene(service_program, "weibo.profile", owner), operator, placements=ACCOUNTS)

    english = Notification.objects.get(user=owner, event="whitelist.decided")
    assert english.title == f"{service_program.name} was granted Profile page on Weibo"  # alipay has one too
    assert english.payload["grant"]["placements"] == ["1669879400", "2803301701"]
    chinese = Notification.objects.get(user=member)
    assert chinese.payload["decision"] == "approved"
    assert "微博个人主页" in chinese.title, chinese.title


def test_the_grant_notification_says_what_the_operator_decided(service_program, owner, operator):
    """It said only "Until …": the caps, the rollout and the operator's note were on the request page alone."""
    request = request_scene(service_program, "weibo.profile", owner)

    _approve(request, operator, share_cap=2, share_window_seconds=3600, daily_cap=5, rollout_percent=50,
             placements=ACCOUNTS, text="Approved for the spring campaign.")

    body = Notification.objects.get(user=owner, event="whitelist.decided").body
    assert body.splitlines() == [
        f"Until {timezone.localdate(request.grant.valid_until):%Y-%m-%d}.", "At most 2 shares per program per user per hour.",
        "At most 5 shares a day.", "Shown to 50% of users.", "", "Approved for the spring campaign."]


def test_a_program_the_platform_took_down_leaves_the_queue_and_cannot_be_granted(service_program, owner, operator):
    """Taken down in the admin site, its pending request stayed in the queue and an operator granted it."""
    from distribution.selectors import operator_queue
    from programs.models import MiniProgram

    request = request_scene(service_program, "weibo.profile", owner)
    MiniProgram.objects.filter(pk=service_program.pk).update(deleted_at=timezone.now())
    service_program.refresh_from_db()

    assert list(operator_queue(operator=operator)) == []
    with pytest.raises(ValidationError):
        _approve(request, operator, placements=ACCOUNTS)
    assert not Grant.objects.filter(program=service_program).exists()


def test_the_grants_end_date_is_the_platforms_day_not_utcs(service_program, owner, operator):
    """A grant ending 00:50 in Shanghai ends on the day before in UTC: the notice said a day early."""
    from datetime import datetime, time

    day = timezone.localdate() + timedelta(days=10)
    end = timezone.make_aware(datetime.combine(day, time(0, 50)))  # the platform's time zone
    request = request_scene(service_program, "weibo.profile", owner)

    # in UTC, as a grant read back from the database holds it (the caps notice, the expiry notices)
    whitelist_approve(request=request, operator=operator, valid_until=end.astimezone(UTC), placements=ACCOUNTS)

    body = Notification.objects.get(user=owner, event="whitelist.decided").body
    assert end.astimezone(UTC).date() != day
    assert body.splitlines()[0] == f"Until {day:%Y-%m-%d}."
