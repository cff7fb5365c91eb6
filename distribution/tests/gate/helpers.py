"""Builders for the share gate and placements tests: released programs, grants, placements."""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from distribution.models import Grant, Placement, WhitelistRequest
from hosts.models import Scene
from programs.models import Version
from programs.releases import rollout_bucket
from programs.tests.factories import MiniProgramFactory, VersionFactory, category

S = Version.Status


def released_program(*, approved_hosts=(), **fields):
    """A program with version 1.0.0 released (approved for `approved_hosts`; empty: every host), filed under
    life services (a service type, so that the feed's eligibility rule lets it in) unless told otherwise."""
    fields.setdefault("categories", [category("life-services")])
    program = MiniProgramFactory(**fields)
    VersionFactory(program=program, version="1.0.0", status=S.RELEASED, approved_hosts=list(approved_hosts),
                   released_at=timezone.now())
    return program


def grant_for(program, scene_code: str, *, days: int = 30, **fields) -> Grant:
    scene = Scene.objects.get(code=scene_code)
    request = WhitelistRequest.objects.create(program=program, scene=scene, status=WhitelistRequest.Status.APPROVED,
                                              justification="For the tests.")
    return Grant.objects.create(program=program, scene=scene, request=request,
                                valid_until=timezone.now() + timedelta(days=days), **fields)


def placement_for(grant: Grant, **fields) -> Placement:
    kind = grant.scene.placement_kind
    return Placement.objects.create(grant=grant, kind=kind, **fields)


def user_in_bucket(appid: str, predicate, *, salt: str = "") -> str:
    """The first host user id whose rollout bucket (salted like the gate's) satisfies `predicate`."""
    for n in range(10_000):
        user = f"user-{n}"
        if predicate(rollout_bucket(appid, f"{salt}{user}")):
            return user
    raise AssertionError("no such user")


class Clock:
    """The monotonic clock the gate's caches read (`hosts.memo`, `distribution.host_facts`), moved by hand.

    "Within a second" is a rule of the code's own clock: facts are re-read once they are GATE_REFRESH_SECONDS
    old. Timed on the wall clock, a loaded machine's slow requests failed the test (1.16 s seen against 1.1 s),
    not the rule.
    """

    def __init__(self):
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def a_second_later(clock: Clock, probe):
    """What `probe()` answers just before and once GATE_REFRESH_SECONDS have passed on the caches' clock."""
    clock.advance(settings.GATE_REFRESH_SECONDS - 0.001)
    before = probe()
    clock.advance(0.001)
    return before, probe()
