"""Stats fixtures: a program released on Weibo, and a way to post events through the ingest service."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hosts.models import Host
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory
from stats.ingest import events_ingest

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def weibo(db):
    return Host.objects.get(code="weibo")


@pytest.fixture
def program(org):
    program = MiniProgramFactory(organisation=org, appid="2026000000000001", name="City Bikes")
    VersionFactory(program=program, version="1.0.0", status=Version.Status.RELEASED)
    return program


@pytest.fixture
def at():
    """at(day_offset, hour): an aware time `day_offset` days before now's day, at that hour in Shanghai."""
    today = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0)

    def make(days_ago: int = 0, hour: int = 10) -> str:
        moment = (today - timedelta(days=days_ago)).replace(hour=hour)
        return min(moment, datetime.now(SHANGHAI) - timedelta(minutes=1)).isoformat()

    return make


@pytest.fixture
def post(weibo, django_capture_on_commit_callbacks):
    """post(events) -> the ingest answer, with the drain task run (eager) once the request 'commits'."""

    def send(events, host=None):
        with django_capture_on_commit_callbacks(execute=True):
            return events_ingest(host=host or weibo, events=events).as_dict()

    return send


@pytest.fixture
def traffic(program, post, at):
    """A day of every kind of event for `program` on weibo, in two scenes, with a share chain and a payment."""
    post([event("v1", "visit", "u1", at(1), page_views=2, stay_seconds=30),
          event("v2", "visit", "u2", at(0), scene="weibo.profile", stay_seconds=10),
          event("s1", "share", "u1", at(0), share_id="S1"),
          event("o1", "share_open", "u3", at(0), share_id="S1"),
          event("n1", "new_user", "u3", at(0), share_id="S1"),
          event("p1", "payment", "u2", at(0), amount="9.90")])
    return program


def event(event_id, kind, user, time, *, appid="2026000000000001", scene="weibo.private_message", **fields):
    return {"id": event_id, "type": kind, "appid": appid, "scene": scene, "user": user, "time": time, **fields}


def operate(user, host_code: str = "weibo"):
    """Make `user` an operator of the host: in the platform operators' group and on the host's list."""
    from django.contrib.auth.models import Group

    from console.roles import StaffGroup

    user.groups.add(Group.objects.get(name=StaffGroup.OPERATORS))
    Host.objects.get(code=host_code).operators.add(user)
    return user
