"""simulate_traffic: a realistic, repeatable month of events through the ingest."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.db.models import Sum

# Autouse: each test starts with no nonces. The tests travel to the same second every run, and the nonces
# an earlier run left in the host store would make their signed calls replays.
from hosts.tests.fixtures import clean_host_runtime  # noqa: F401
from stats.models import DailyStats, RawEvent, Share
from stats.simulation import Placement, Simulator


def test_the_simulation_is_repeatable_and_never_in_the_future():
    sim = Simulator([Placement("2026000000000001", "weibo", ("weibo.private_message",))], days=5)
    now = datetime.now(UTC)
    first, second = list(sim.events(now=now)), list(sim.events(now=now))
    assert first == second
    assert max(datetime.fromisoformat(e["time"]) for e in first) <= now
    assert {e["type"] for e in first} == {"visit", "new_user", "share", "share_open", "payment"}


def test_share_chains_branch_and_die_out():
    sim = Simulator([Placement("2026000000000001", "weibo", ("weibo.private_message",))], days=20,
                    new_users_per_day=60)
    events = list(sim.events(now=datetime.now(UTC)))
    shares = {e["share_id"]: e.get("parent_share_id", "") for e in events if e["type"] == "share"}
    depth = {}
    for sid in shares:
        d, parent = 1, shares[sid]
        while parent:
            d, parent = d + 1, shares.get(parent, "")
        depth[sid] = d
    assert max(depth.values()) >= 3
    assert sum(1 for d in depth.values() if d == 1) > sum(1 for d in depth.values() if d >= 3)


# 14:00 in Shanghai. On the real clock the test failed just after midnight there: the tenth day had no event
# yet (nothing is sent from the future), so nine days had rows instead of ten.
@time_machine.travel(datetime(2026, 11, 20, 6, 0, tzinfo=UTC), tick=True)
def test_the_command_fills_the_rollups_and_counts_nothing_twice(program, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_traffic", "--days", "10", "--users-per-day", "8", stdout=out)
    assert "Sent" in out.getvalue() and "0 refused" in out.getvalue()
    days = DailyStats.objects.filter(program=program).values("day").distinct().count()
    assert days == 10
    visits = DailyStats.objects.filter(program=program).aggregate(v=Sum("visits"))["v"]
    assert visits == RawEvent.objects.filter(type="visit").count() > 0
    shares = {s.share_id: s for s in Share.objects.filter(program=program)}
    assert shares
    for share in shares.values():  # every share sits one level under its parent
        parent = shares.get(share.parent_share_id)
        assert share.depth == (parent.depth + 1 if parent else 1)

    again = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_traffic", "--days", "10", "--users-per-day", "8", stdout=again)
    assert again.getvalue().startswith("Sent 0 events")
    assert DailyStats.objects.filter(program=program).aggregate(v=Sum("visits"))["v"] == visits


@time_machine.travel(datetime(2026, 11, 20, 6, 0, tzinfo=UTC), tick=True)
def test_the_command_asks_the_gate_about_the_last_days_shares_once(program, django_capture_on_commit_callbacks):
    """So that the host dashboard's share-gate panel has answers on first start; a second run asks nothing."""
    from stats.models import GateDaily
    from stats.tasks import rollup_gate_answers

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_traffic", "--days", "3", "--users-per-day", "30", stdout=out)
    last_day = datetime.now(UTC) - timedelta(days=1)
    shared = sum(1 for moment in RawEvent.objects.filter(type="share").values_list("occurred_at", flat=True)
                 if moment > last_day)
    checks = shared + len(range(0, shared, 4))  # one share in four is tried in another scene too
    assert shared > 0 and f"Asked the share gate about the last day's {shared} shares ({checks} checks" in out.getvalue()
    assert rollup_gate_answers() == checks
    assert sum(GateDaily.objects.values_list("count", flat=True)) == checks
    # The other scene (Weibo's home feed) is not granted: the operators' panel shows what the gate denied.
    assert GateDaily.objects.filter(allowed=False).exists()

    again = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_traffic", "--days", "3", "--users-per-day", "30", stdout=again)
    assert "share gate" not in again.getvalue() and rollup_gate_answers() == 0
