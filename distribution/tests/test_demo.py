"""The demo: grants in every state, the feed grant of SPEC §9, a paused scene, a queue for operator@example.com."""

from io import StringIO

import pytest
from django.core.management import call_command

from console.models import User
from distribution.eligibility import State
from distribution.models import WhitelistRequest
from distribution.selectors import operator_queue, program_distribution
from distribution.services import decision_blocker
from hosts.models import Scene
from programs.models import MiniProgram


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_data", "--without-traffic", stdout=out)  # grants and requests: no stats
    return out.getvalue()


def _states(name):
    program = MiniProgram.objects.get(name=name)
    return {row.scene.code: row for block in program_distribution(program) for row in block.rows}


def test_the_demo_has_grants_in_every_state(demo):
    bikes, draw = _states("City Bikes"), _states("Lucky Draw")

    feed = bikes["weibo.feed"]
    assert feed.state == State.GRANTED
    assert (feed.grant.effective_share_cap(), feed.grant.effective_share_window()) == (1, 3600)
    assert bikes["weibo.profile"].grant.placements.count() == 2
    assert bikes["weibo.hot_search"].grant.placements.get().topic == "car-free-day"
    assert bikes["alipay.hot_search"].state == State.EXPIRING
    assert draw["weibo.lottery"].grant.placements.get().kind == "lottery"
    assert {draw[c].state for c in ("weibo.profile", "weibo.hot_search", "alipay.hot_search", "weibo.feed")} == {
        State.REJECTED, State.REVOKED, State.EXPIRED, State.NOT_ELIGIBLE}
    assert Scene.objects.get(code="alipay.city_service").status == "paused"
    assert "requests waiting" in demo


def test_the_demo_operator_works_weibo_and_alipay_and_has_a_queue(demo):
    operator = User.objects.get(email="operator@example.com")

    assert set(operator.operated_hosts.values_list("code", flat=True)) == {"weibo", "alipay"}
    assert operator_queue(operator=operator).count() == 2
    # and may decide them: a member of the requesting organisation could not
    assert [decision_blocker(operator, r.scene, r.program) for r in operator_queue(operator=operator)] == ["", ""]
    assert WhitelistRequest.objects.filter(status="pending").count() == 2
