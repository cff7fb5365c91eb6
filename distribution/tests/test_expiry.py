"""Time passing: grants expire by themselves (beat), with one notice before, and renewals carry them over."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from console.models import AuditEvent, Notification
from distribution import tasks
from distribution.eligibility import State
from distribution.invalidation import distribution_generation
from distribution.models import Grant
from distribution.selectors import scene_row
from distribution.services import whitelist_approve
from distribution.tests.conftest import grant_scene, request_scene, scene


def test_the_beat_schedule_runs_expiry_and_notices():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"distribution.tasks.expire_grants", "distribution.tasks.notify_expiring_grants"} <= tasks_scheduled


def test_expire_task_ends_grants_past_their_end_and_only_those(service_program, owner, operator,
                                                               django_capture_on_commit_callbacks):
    due = grant_scene(service_program, "weibo.profile", owner, operator)
    live = grant_scene(service_program, "weibo.feed", owner, operator)
    Grant.objects.filter(pk=due.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    before = distribution_generation()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_grants.delay().get() == 1
    assert tasks.expire_grants.delay().get() == 0  # idempotent

    due.refresh_from_db()
    live.refresh_from_db()
    assert (due.status, live.status) == ("expired", "active")
    event = AuditEvent.objects.get(action="grant.expire")
    assert (event.actor_label, event.organisation_id) == ("system", service_program.organisation_id)
    assert distribution_generation() == before + 1
    [ended] = Notification.objects.filter(event="whitelist.expired", user=owner)
    assert ended.payload["grant_id"] == due.pk
    assert ended.title == f"{service_program.name}'s grant for Profile page on Weibo has ended"


def test_one_expiry_notice_per_grant_inside_the_window(service_program, owner, operator):
    soon = grant_scene(service_program, "weibo.profile", owner, operator, days=6)
    grant_scene(service_program, "weibo.feed", owner, operator, days=20)

    assert tasks.notify_expiring_grants.delay().get() == 1
    assert tasks.notify_expiring_grants.delay().get() == 0

    notices = Notification.objects.filter(event="whitelist.expiring", user=owner)
    assert notices.count() == 1
    assert notices.get().payload["grant_id"] == soon.pk
    assert "ends on" in notices.get().title
    soon.refresh_from_db()
    assert soon.expiry_notice_sent_at is not None


def test_an_expired_grant_is_renewed_with_its_placements(service_program, owner, operator):
    old = grant_scene(service_program, "weibo.profile", owner, operator, share_cap=2)
    Grant.objects.filter(pk=old.pk).update(valid_until=timezone.now() - timedelta(days=1))
    tasks.expire_grants.delay().get()
    assert scene_row(service_program, scene("weibo.profile")).can_renew

    renewal = request_scene(service_program, "weibo.profile", owner)
    new = whitelist_approve(request=renewal, operator=operator, valid_until=timezone.now() + timedelta(days=30))

    old.refresh_from_db()
    assert (old.status, renewal.renewal_of_id) == ("renewed", old.pk)
    assert list(new.placements.values_list("account_uid", flat=True)) == list(
        old.placements.values_list("account_uid", flat=True))
    assert scene_row(service_program, scene("weibo.profile")).state == State.GRANTED
    assert AuditEvent.objects.filter(action="grant.renew", target_id=str(old.pk)).exists()
