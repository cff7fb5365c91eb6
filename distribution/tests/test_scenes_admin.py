"""Scenes are data: edited and paused in the admin site, with the pause audited."""

from django.urls import reverse

from console.models import AuditEvent
from hosts.models import Scene
from hosts.services import scene_set_status


def test_every_scene_of_the_spec_is_seeded_with_its_rule(db):
    feed = Scene.objects.get(code="weibo.feed")
    profile = Scene.objects.get(code="weibo.profile")

    assert (feed.needs_whitelist, feed.service_types_only, feed.share_cap, feed.share_window_seconds) == (
        True, True, 1, 3600)
    assert profile.placement_kind == "account"
    assert Scene.objects.get(code="weibo.private_message").needs_whitelist is False
    assert Scene.objects.filter(code__in=["weibo.lottery", "weibo.hot_search", "alipay.city_service",
                                          "alipay.hot_search", "alipay.life_account", "taobao.share"]).count() == 6


def test_pausing_is_audited_and_idempotent(superuser):
    scene = Scene.objects.get(code="weibo.feed")

    assert scene_set_status(scene=scene, actor=superuser, status=Scene.Status.PAUSED) is True
    assert scene_set_status(scene=scene, actor=superuser, status=Scene.Status.PAUSED) is False

    scene.refresh_from_db()
    assert scene.status == "paused"
    events = AuditEvent.objects.filter(action="scene.pause", target_id=str(scene.pk))
    assert [(e.before, e.after) for e in events] == [({"status": "active"}, {"status": "paused"})]


def test_the_admin_pause_action_pauses_the_selected_scenes(client_for, superuser):
    feed = Scene.objects.get(code="weibo.feed")

    response = client_for(superuser).post(reverse("admin:hosts_scene_changelist"), {
        "action": "pause", "_selected_action": [feed.pk]})

    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.status == "paused"
    assert AuditEvent.objects.filter(action="scene.pause", actor=superuser).exists()


def test_the_admin_edits_a_scenes_rule(client_for, superuser):
    feed = Scene.objects.get(code="weibo.feed")
    page = client_for(superuser).get(reverse("admin:hosts_scene_change", args=[feed.pk]))

    assert page.status_code == 200
    assert "service_types_only" in page.content.decode()
