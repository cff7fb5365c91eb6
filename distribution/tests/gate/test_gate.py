"""The share gate through its signed API: every reason, rollout, phased releases, caps, replays, pausing."""

import itertools
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from distribution.gate import gate_answers_drain, user_digest
from distribution.tests.gate.helpers import a_second_later, grant_for, released_program, user_in_bucket
from hosts.models import Scene
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory

SHARE = "/api/v1/hosts/weibo/share-checks/"
SHARE_IDS = itertools.count()
S = Version.Status


def ask(client, program_or_appid, scene, user="wb-1", **extra):
    """One share check; a fresh share_id each time, else two checks in one second would be one replay."""
    appid = getattr(program_or_appid, "appid", program_or_appid)
    body = {"appid": appid, "scene": scene, "user": user, "share_id": f"s-{next(SHARE_IDS)}", **extra}
    response = client.post(SHARE, body)
    assert response.status_code == 200, response.content
    return response.json()


def reason(client, *args, **kwargs):
    return ask(client, *args, **kwargs)["reason"]


def test_an_open_scene_allows_a_released_program(weibo_client):
    assert ask(weibo_client, released_program(), "weibo.private_message") == {
        "allow": True, "reason": "allowed", "retry_after": None}


def test_an_unknown_scene_and_another_hosts_scene_are_unknown(weibo_client):
    program = released_program()

    assert reason(weibo_client, program, "weibo.nowhere") == "scene_unknown"
    assert reason(weibo_client, program, "alipay.life_account") == "scene_unknown"


def test_a_paused_scene_denies(weibo_client):
    Scene.objects.filter(code="weibo.private_message").update(status=Scene.Status.PAUSED)

    assert ask(weibo_client, released_program(), "weibo.private_message") == {
        "allow": False, "reason": "scene_paused", "retry_after": None}


def test_an_unknown_or_deleted_program_is_unknown(weibo_client):
    deleted = released_program(deleted_at=timezone.now())

    assert reason(weibo_client, "2099000000000000", "weibo.private_message") == "program_unknown"
    assert reason(weibo_client, deleted, "weibo.private_message") == "program_unknown"


def test_a_program_with_nothing_released_is_not_released(weibo_client):
    program = MiniProgramFactory()
    VersionFactory(program=program, status=S.APPROVED)

    assert reason(weibo_client, program, "weibo.private_message") == "not_released"


def test_a_release_approved_for_other_hosts_only_is_not_approved_here(weibo_client):
    assert reason(weibo_client, released_program(approved_hosts=["alipay"]), "weibo.private_message") == (
        "not_approved_for_host")
    assert reason(weibo_client, released_program(approved_hosts=["alipay", "weibo"]), "weibo.private_message") == (
        "allowed")


def test_a_whitelist_scene_without_a_grant_is_not_whitelisted(weibo_client):
    assert reason(weibo_client, released_program(), "weibo.feed") == "not_whitelisted"


def test_a_revoked_grant_is_not_whitelisted(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", status="revoked")

    assert reason(weibo_client, program, "weibo.feed") == "not_whitelisted"


def test_a_grant_past_its_end_is_expired_even_before_the_expiry_task_runs(weibo_client):
    lapsed = released_program()
    grant = grant_for(lapsed, "weibo.feed")
    grant.valid_until = timezone.now() - timedelta(seconds=1)
    grant.save()
    marked = released_program()
    grant_for(marked, "weibo.feed", status="expired")

    assert reason(weibo_client, lapsed, "weibo.feed") == "grant_expired"
    assert reason(weibo_client, marked, "weibo.feed") == "grant_expired"


def test_a_grant_allows_a_whitelist_scene(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed")

    assert reason(weibo_client, program, "weibo.feed") == "allowed"


def test_rollout_admits_users_by_a_stable_hash(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", rollout_percent=30, share_cap=100)
    inside = user_in_bucket(program.appid, lambda b: b < 30, salt="weibo.feed:")
    outside = user_in_bucket(program.appid, lambda b: b >= 30, salt="weibo.feed:")

    assert [reason(weibo_client, program, "weibo.feed", user=inside) for _ in range(3)] == ["allowed"] * 3
    assert [reason(weibo_client, program, "weibo.feed", user=outside) for _ in range(3)] == ["outside_rollout"] * 3


def test_rollout_reaches_about_its_percentage(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", rollout_percent=30, share_cap=100)

    allowed = sum(ask(weibo_client, program, "weibo.feed", user=f"host-user-{n}")["allow"] for n in range(200))

    assert 40 <= allowed <= 80  # 30 % of 200 = 60


def test_a_user_outside_a_phased_release_gets_the_previous_release(weibo_client):
    """1.0.0 is released for every host; 1.1.0 is phased at 30 % and approved for alipay only."""
    program = released_program()
    VersionFactory(program=program, version="1.1.0", status=S.PHASED, phased_percentage=30, approved_hosts=["alipay"])
    in_phase = user_in_bucket(program.appid, lambda b: b < 30)
    outside = user_in_bucket(program.appid, lambda b: b >= 30)

    assert reason(weibo_client, program, "weibo.private_message", user=in_phase) == "not_approved_for_host"
    assert reason(weibo_client, program, "weibo.private_message", user=outside) == "allowed"


def test_a_first_release_still_phased_reaches_only_its_users(weibo_client):
    program = MiniProgramFactory()
    VersionFactory(program=program, status=S.PHASED, phased_percentage=30)

    in_phase = user_in_bucket(program.appid, lambda b: b < 30)
    outside = user_in_bucket(program.appid, lambda b: b >= 30)

    assert reason(weibo_client, program, "weibo.private_message", user=in_phase) == "allowed"
    assert reason(weibo_client, program, "weibo.private_message", user=outside) == "not_released"


def test_the_feed_allows_one_share_per_user_per_hour(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed")  # the scene's rule: 1 an hour

    first = ask(weibo_client, program, "weibo.feed", user="u1")
    second = ask(weibo_client, program, "weibo.feed", user="u1")
    someone_else = ask(weibo_client, program, "weibo.feed", user="u2")

    assert first == {"allow": True, "reason": "allowed", "retry_after": None}
    assert second["allow"] is False and second["reason"] == "share_cap"
    assert 3590 <= second["retry_after"] <= 3600
    assert someone_else["allow"] is True


def test_the_share_cap_is_per_program(weibo_client):
    one, two = released_program(), released_program()
    grant_for(one, "weibo.feed")
    grant_for(two, "weibo.feed")

    assert reason(weibo_client, one, "weibo.feed", user="u1") == "allowed"
    assert reason(weibo_client, two, "weibo.feed", user="u1") == "allowed"


def test_the_grant_caps_override_the_scene_rule(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", share_cap=2, share_window_seconds=60)

    answers = [ask(weibo_client, program, "weibo.feed", user="u1") for _ in range(3)]

    assert [a["reason"] for a in answers] == ["allowed", "allowed", "share_cap"]
    assert 1 <= answers[2]["retry_after"] <= 60


def test_the_daily_cap_counts_every_user_until_midnight(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", daily_cap=2)

    answers = [ask(weibo_client, program, "weibo.feed", user=f"u{n}") for n in range(3)]

    assert [a["reason"] for a in answers] == ["allowed", "allowed", "daily_cap"]
    local = timezone.localtime()
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(answers[2]["retry_after"] - (midnight - local).total_seconds()) <= 2


def test_a_daily_cap_set_during_the_day_counts_the_shares_allowed_before_it(weibo_client, operator, clock):
    """An operator walk: a cap of 3 set at noon, after 6 shares, let 3 more through (it counted from then on)."""
    from distribution.services import grant_set_terms

    program = released_program()
    grant = grant_for(program, "weibo.feed")
    assert [reason(weibo_client, program, "weibo.feed", user=f"u{n}") for n in range(4)] == ["allowed"] * 4

    grant_set_terms(grant=grant, operator=operator, share_cap=None, share_window_seconds=None, daily_cap=3,
                    rollout_percent=None)
    clock.advance(settings.GATE_REFRESH_SECONDS)  # the gate's facts, at most a refresh old

    assert reason(weibo_client, program, "weibo.feed", user="u9") == "daily_cap"


def test_a_denied_share_does_not_count_against_the_daily_cap(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", daily_cap=2)
    ask(weibo_client, program, "weibo.feed", user="u1")
    assert reason(weibo_client, program, "weibo.feed", user="u1") == "share_cap"

    assert reason(weibo_client, program, "weibo.feed", user="u2") == "allowed"


def test_a_replayed_share_check_repeats_its_first_answer_and_counts_nothing(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", share_cap=2)
    body = {"appid": program.appid, "scene": "weibo.feed", "user": "u1", "share_id": "s-1"}
    stamp = int(time.time())
    first = weibo_client.post(SHARE, body, timestamp=stamp)

    replays = [weibo_client.post(SHARE, body, timestamp=stamp) for _ in range(3)]

    assert [r.json() for r in replays] == [first.json()] * 3
    assert [r["X-Host-Replayed"] for r in replays] == ["true"] * 3
    assert "X-Host-Replayed" not in first
    assert reason(weibo_client, program, "weibo.feed", user="u1", share_id="s-2") == "allowed"  # the 2nd of 2
    assert reason(weibo_client, program, "weibo.feed", user="u1", share_id="s-3") == "share_cap"
    assert len(gate_answers_drain(100)) == 3  # the replays were not recorded


def test_every_answer_is_recorded_for_the_stats_without_the_raw_user(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed")
    ask(weibo_client, program, "weibo.feed", user="wb-77", share_id="s-1", page="pages/a")
    ask(weibo_client, program, "weibo.feed", user="wb-77", share_id="s-2")
    ask(weibo_client, program, "weibo.nowhere", user="wb-77")

    answers = gate_answers_drain(10)

    assert [(a["allow"], a["reason"], a["scene"]) for a in answers] == [
        (True, "allowed", "weibo.feed"), (False, "share_cap", "weibo.feed"), (False, "scene_unknown", "weibo.nowhere")]
    assert {a["user"] for a in answers} == {user_digest("wb-77")}
    assert "wb-77" not in str(answers)
    assert answers[0]["host"] == "weibo" and answers[0]["appid"] == program.appid
    assert (answers[0]["share_id"], answers[0]["page"]) == ("s-1", "pages/a")
    assert 3590 <= answers[1]["retry_after"] <= 3600
    assert abs(timezone.datetime.fromisoformat(answers[0]["time"]) - timezone.now()) < timedelta(seconds=5)
    assert gate_answers_drain(10) == []


def test_a_warm_gate_answers_without_touching_the_database(weibo_client, django_assert_num_queries):
    program = released_program()
    grant_for(program, "weibo.feed")
    ask(weibo_client, program, "weibo.feed", user="u0")  # loads the facts and the credential

    with django_assert_num_queries(0):
        answers = [ask(weibo_client, program, "weibo.feed", user=f"u{n}") for n in range(1, 4)]

    assert [a["reason"] for a in answers] == ["allowed"] * 3


def test_pausing_a_scene_reaches_the_gate_within_a_second(weibo_client, clock):
    program = released_program()
    assert reason(weibo_client, program, "weibo.private_message") == "allowed"  # facts now cached
    scene = Scene.objects.get(code="weibo.private_message")
    scene.status = Scene.Status.PAUSED
    scene.save()

    users = itertools.count()
    before, after = a_second_later(clock, lambda: reason(weibo_client, program, "weibo.private_message",
                                                         user=f"u{next(users)}"))

    assert (before, after) == ("allowed", "scene_paused")  # a pause bumps no generation: the refresh brings it


def test_a_new_grant_reaches_the_gate_through_the_generation(weibo_client):
    from django.core.cache import cache

    from distribution.invalidation import GENERATION_KEY

    program = released_program()
    assert reason(weibo_client, program, "weibo.feed") == "not_whitelisted"
    grant_for(program, "weibo.feed")
    cache.set(GENERATION_KEY, 41)  # what distribution_changed() does once the grant commits
    time.sleep(1.0)

    assert reason(weibo_client, program, "weibo.feed", user="u2") == "allowed"


@pytest.mark.parametrize("body", [{}, {"appid": "1", "scene": "weibo.feed"}, {"appid": "1" * 17, "scene": "s", "user": "u"}])
def test_an_invalid_body_is_400_with_fields(weibo_client, body):
    response = weibo_client.post(SHARE, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"]


@pytest.mark.parametrize("body, code", [
    (b'{"appid": "2025000000000001", "scene": "weibo.feed", "user": "\\ud800"}', "parse_error"),
    (b'{"appid": "\\udfff", "scene": "weibo.feed", "user": "u"}', "parse_error"),
    (b"[" * 100_000 + b"]" * 100_000, "parse_error"),
    (b'{"a":' * 40 + b"1" + b"}" * 40, "parse_error"),
    (b'{"appid": "2025000000000001", "scene": "weibo.feed", "user": "u\\u0000"}', "invalid"),
])
def test_a_body_that_is_not_text_or_too_deep_is_a_400_not_a_500(weibo_client, body, code):
    """A lone surrogate failed hashing the user (500); a deep body failed Python's parser (RecursionError)."""
    meta = weibo_client.headers("POST", SHARE, body)
    response = weibo_client.api.generic("POST", SHARE, body, content_type="application/json", **meta)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


VALID = {"appid": "2025000000000001", "scene": "weibo.feed", "user": "wb-1"}


@pytest.mark.parametrize("data", [
    VALID, {**VALID, "share_id": "s-1", "page": "pages/a"}, {**VALID, "user": 5521093}, {**VALID, "user": 1.5},
    {**VALID, "user": "  wb-2  "}, {**VALID, "user": ""}, {**VALID, "user": "   "}, {**VALID, "user": None},
    {**VALID, "user": True}, {**VALID, "user": ["x"]}, {**VALID, "user": "u" * 129}, {**VALID, "share_id": ""},
    {**VALID, "share_id": None}, {**VALID, "page": "p" * 201}, {"scene": "weibo.feed"}, {}, {**VALID, "extra": 1},
    {**VALID, "user": "wb\x00"}, {**VALID, "user": "wb\n"}, {**VALID, "page": "pages/a\x1b[2J"},
    {**VALID, "page": "   "}, {**VALID, "share_id": "s-1\n"}, {**VALID, "share_id": "../../x y"},
    {**VALID, "share_id": "-s"}, {**VALID, "share_id": "s" * 65}, {**VALID, "appid": 2025000000000001},
    {**VALID, "user": "\x00" * 200}, {**VALID, "user": "u" * 129 + "\n"},
], ids=lambda d: repr(d)[:60])
def test_the_gates_lean_validation_agrees_with_the_serializer(data):
    from rest_framework.exceptions import ValidationError

    from distribution.host_apis import validated
    from distribution.host_serializers import ShareCheckInput

    serializer = ShareCheckInput(data=data)
    expected = dict(serializer.validated_data) if serializer.is_valid() else {
        k: [str(m) for m in v] for k, v in serializer.errors.items()}
    try:
        got = validated(ShareCheckInput, data)
    except ValidationError as exc:
        got = {k: [str(m) for m in v] for k, v in exc.detail.items()}

    assert got == expected


def test_the_host_api_docs_list_every_reason_code_and_the_signature_vector():
    from pathlib import Path

    from distribution.gate import GateReason
    from hosts.tests.test_signing import EXPECTED

    docs = (Path(__file__).resolve().parents[3] / "docs" / "host-api.md").read_text()

    assert [code for code in GateReason.values if f"| `{code}` |" not in docs] == []
    assert EXPECTED in docs


def test_a_database_that_dropped_the_connection_is_a_503_to_retry(weibo_client, monkeypatch):
    """A fault walk killed the database's connections: 2 of 480 checks answered 500 while the gate read its
    facts. The call is fine and works again in a moment; a 503 says so, and when."""
    from django.db import OperationalError

    program = released_program()

    def dropped(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("distribution.host_apis.share_check", dropped)
    response = weibo_client.post(SHARE, {"appid": program.appid, "scene": "weibo.private_message", "user": "wb-1"})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response["Retry-After"] == "5"
