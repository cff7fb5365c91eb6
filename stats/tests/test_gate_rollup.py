"""The share gate's answers roll up per scene and reason, so operators see what each cap denies."""

from datetime import UTC, datetime, timedelta

from hosts.tests.fixtures import *  # noqa: F403 - signed host calls
from stats.gate_rollup import gate_answers_store
from stats.models import GateDaily
from stats.selectors import gate_answers


def _answer(allow, reason, *, scene="weibo.feed", appid="2026000000000001", when=None):
    when = when or datetime.now(UTC)
    return {"time": when.isoformat(), "host": "weibo", "scene": scene, "appid": appid, "user": "h",
            "allow": allow, "reason": reason, "retry_after": None}


def test_answers_add_up_per_scene_and_reason(db):
    batch = [_answer(True, "allowed")] * 3 + [_answer(False, "share_cap")] * 5 + [_answer(False, "scene_paused")]
    assert gate_answers_store(batch) == 9
    assert gate_answers_store([_answer(False, "share_cap")]) == 1
    today = datetime.now(UTC).date()
    rows = {(r["allowed"], r["reason"]): r["count"] for r in
            gate_answers(host="weibo", start=today - timedelta(days=1), end=today + timedelta(days=1))}
    assert rows == {(True, "allowed"): 3, (False, "share_cap"): 6, (False, "scene_paused"): 1}


def test_answers_for_unknown_programs_are_kept_under_their_appid(db):
    gate_answers_store([_answer(False, "program_unknown", appid="nope")])
    assert GateDaily.objects.get().appid == "nope"


def test_a_malformed_record_is_skipped_not_fatal(db):
    assert gate_answers_store([{"time": "garbage"}, {"host": "weibo"}, _answer(True, "allowed")]) == 1


def test_days_are_the_platforms(db):
    """23:30 UTC on the 1st is the 2nd in Shanghai."""
    gate_answers_store([_answer(True, "allowed", when=datetime(2026, 11, 1, 23, 30, tzinfo=UTC))])
    assert str(GateDaily.objects.get().day) == "2026-11-02"


def test_the_gates_answers_reach_the_rollup(program, weibo_client, django_capture_on_commit_callbacks):
    """A real signed share check, then the beat task: the answer is counted under its scene and reason."""
    from stats.tasks import rollup_gate_answers

    body = {"appid": program.appid, "scene": "weibo.private_message", "user": "u1", "share_id": "s1"}
    assert weibo_client.post("/api/v1/hosts/weibo/share-checks/", body).json()["allow"] is True
    body.update(scene="weibo.feed", share_id="s2")
    assert weibo_client.post("/api/v1/hosts/weibo/share-checks/", body).json()["allow"] is False
    assert rollup_gate_answers() == 2
    assert rollup_gate_answers() == 0  # taken once
    rows = sorted(GateDaily.objects.values_list("scene", "allowed", "reason", "count"))
    assert rows[0] == ("weibo.feed", False, rows[0][2], 1) and rows[0][2] != "allowed"
    assert rows[1] == ("weibo.private_message", True, "allowed", 1)


def _record_answers(n):
    from distribution.gate import ANSWERS_LOG
    from hosts.runtime import host_store

    for i in range(n):
        host_store().attempt(limits=[], refuse=None, allow_reason="allowed", log=ANSWERS_LOG, log_max=1_000,
                             record={k: v for k, v in _answer(True, "allowed").items() if k not in ("allow", "reason", "retry_after")},
                             nonce=None, nonce_ttl=300, now=float(i))


def _counted():
    return sum(GateDaily.objects.values_list("count", flat=True))


def test_a_rollup_stopped_before_counting_loses_nothing(db):
    """Killed after taking a batch, before the database: the next run counts that batch."""
    from distribution.gate import gate_answers_take
    from stats.tasks import rollup_gate_answers

    _record_answers(4)
    gate_answers_take(3)  # the worker dies here
    assert rollup_gate_answers() == 4
    assert _counted() == 4 and rollup_gate_answers() == 0


def test_a_rollup_stopped_after_counting_counts_nothing_twice(db):
    """Killed after the commit, before forgetting the batch: the next run recognises its token."""
    from distribution.gate import gate_answers_take
    from stats.gate_rollup import gate_batch_store
    from stats.tasks import rollup_gate_answers

    _record_answers(4)
    token, answers = gate_answers_take(3)
    assert gate_batch_store(token, answers) == 3  # the worker dies here
    assert rollup_gate_answers() == 1
    assert _counted() == 4 and rollup_gate_answers() == 0


def test_a_rollup_whose_database_fails_keeps_the_batch_for_the_next_run(db, monkeypatch):
    from stats import gate_rollup
    from stats.tasks import rollup_gate_answers

    _record_answers(2)
    real = gate_rollup.gate_answers_store

    def failing(answers):
        raise RuntimeError("database went away")

    monkeypatch.setattr(gate_rollup, "gate_answers_store", failing)
    assert rollup_gate_answers.apply(throw=False).failed()
    assert not gate_rollup.GateBatch.objects.exists()  # the token rolled back with the counts
    monkeypatch.setattr(gate_rollup, "gate_answers_store", real)
    assert rollup_gate_answers() == 2 and _counted() == 2


def test_old_batch_tokens_are_pruned(db):
    from stats.gate_rollup import BATCH_TOKENS_KEPT, gate_batch_tokens_prune
    from stats.models import GateBatch

    now = datetime.now(UTC)
    GateBatch.objects.create(token="old", counted_at=now - BATCH_TOKENS_KEPT - timedelta(minutes=1))
    GateBatch.objects.create(token="new", counted_at=now)
    assert gate_batch_tokens_prune() == 1
    assert list(GateBatch.objects.values_list("token", flat=True)) == ["new"]
