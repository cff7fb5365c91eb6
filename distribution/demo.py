"""Demo distribution: grants in every state, pending requests in the operators' queue, a paused scene.

Runs after programs' and reviews' demos (INSTALLED_APPS order) and uses their programs: City Bikes
(service categories: granted weibo.feed at the scene's 1 share per user per hour, a profile grant
with two accounts, a hot-search topic, an expiring Alipay topic), Lucky Draw (a lottery campaign,
a rejected, a revoked and an expired grant) and Tea Timer (two requests waiting for operator@example.com).
Everything goes through the services, so the audit log and notifications are real; what happened in the
past (the rejection, the revoked and the expired grant) happened then (`demo.ago`), so no date is moved
afterwards. Each scenario is skipped when its program already has a request in that scene (idempotent).
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from distribution.models import Grant, WhitelistRequest
from distribution.services import (
    grant_expire,
    grant_revoke,
    whitelist_approve,
    whitelist_reject,
    whitelist_request_create,
)
from hosts.models import Host, Scene
from hosts.services import scene_set_status
from programs.models import MiniProgram

PAUSED_SCENE = "alipay.city_service"


def _evidence():
    return [SimpleUploadedFile("licence.pdf", b"%PDF-1.4\n% demo business licence\n", content_type="application/pdf")]


def _topic(topic: str, title: str, page: str, days: int = 7) -> dict:
    now = timezone.now()
    return {"topic": topic, "title": title, "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=days),
            "landing_page": page}


def _request(program, code, actor, justification):
    scene = Scene.objects.get(code=code)
    if WhitelistRequest.objects.filter(program=program, scene=scene).exists():
        return None  # loaded before
    evidence = _evidence() if scene.evidence_required else []
    return whitelist_request_create(program=program, scene=scene, actor=actor, justification=justification,
                                    evidence=evidence)


def _grant(demo, program, code, justification, *, days=None, **decision) -> Grant | None:
    request = _request(program, code, demo.users["developer"], justification)
    if request is None:
        return None
    scene = request.scene
    days = days or scene.max_grant_days
    return whitelist_approve(request=request, operator=demo.users["admin"],
                             valid_until=timezone.now() + timedelta(days=days), **decision)


def _city_bikes(demo, program) -> None:
    _grant(demo, program, "weibo.feed", "Bike availability near you: a life service for commuters.",
           text="Granted at the scene's rule: 1 share per user per hour.")
    _grant(demo, program, "weibo.profile", "The city's transport accounts pin our card.", share_cap=3,
           share_window_seconds=3600, placements=[{"account_uid": "1669879400", "account_name": "City Daily"},
                                                  {"account_uid": "2803301701", "account_name": "Bike Club"}])
    _grant(demo, program, "weibo.hot_search", "Car-free day topic links to our route planner.", days=10,
           placements=[_topic("car-free-day", "#CarFreeDay", "pages/routes/index")])
    _grant(demo, program, "alipay.hot_search", "Spring ride week.", days=5, rollout_percent=50,
           placements=[_topic("spring-ride", "#SpringRide", "pages/index/index", days=4)])


def _lucky_draw(demo, program) -> None:
    admin, dev = demo.users["admin"], demo.users["developer"]
    _grant(demo, program, "weibo.lottery", "Our prize wheel is the claim step of the New Year lottery.",
           placements=[_topic("ny-lottery-2027", "New Year lottery", "pages/claim/index?from=weibo", days=20)])
    with demo.ago(days=9):
        rejected = _request(program, "weibo.profile", dev, "Celebrities could pin our wheel.")
    if rejected is not None:
        with demo.ago(days=8):
            whitelist_reject(request=rejected, operator=admin, reason="placement-not-authorised",
                             text="None of the accounts has agreed to show the card.")
    with demo.ago(days=10):
        revoked = _grant(demo, program, "weibo.hot_search", "Trending prizes.",
                         placements=[_topic("prize-week", "#PrizeWeek", "pages/index/index")])
    if revoked is not None:
        with demo.ago(days=4):
            grant_revoke(grant=revoked, operator=admin, reason="abusive-sharing",
                         text="The card promised extra spins for every share.")
    # Granted five days ago for three days: it ended two days ago, and the expiry sweep ends it now.
    with demo.ago(days=5):
        expired = _grant(demo, program, "alipay.hot_search", "Autumn festival topic.", days=3,
                         placements=[_topic("autumn-festival", "#AutumnFestival", "pages/index/index", days=2)])
    if expired is not None:
        grant_expire(grant=expired)


def _tea_timer(demo, program) -> None:
    owner = demo.users["outsider"]
    _request(program, "weibo.profile", owner, "Tea shops' Weibo accounts want our timer on their profile.")
    _request(program, "weibo.hot_search", owner, "World tea day: our steeping guide fits the topic.")


def load(demo) -> None:
    operator = demo.users["operator"]
    for host in Host.objects.filter(code__in=["weibo", "alipay"]):
        host.operators.add(operator)
    programs = {p.name: p for p in MiniProgram.objects.filter(name__in=["City Bikes", "Lucky Draw", "Tea Timer"],
                                                               deleted_at=None)}
    for name, build in [("City Bikes", _city_bikes), ("Lucky Draw", _lucky_draw), ("Tea Timer", _tea_timer)]:
        if name in programs:
            build(demo, programs[name])
    paused = Scene.objects.filter(code=PAUSED_SCENE).first()
    if paused is not None:
        scene_set_status(scene=paused, actor=demo.users["admin"], status=Scene.Status.PAUSED)
    waiting = WhitelistRequest.objects.filter(status=WhitelistRequest.Status.PENDING).count()
    demo.lines.append(f"Distribution: grants in every state on City Bikes and Lucky Draw; {waiting} requests waiting "
                      f"(sign in as operator@example.com, hosts weibo and alipay); {PAUSED_SCENE} paused.")
