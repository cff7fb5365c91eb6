"""The ingest service: each event validated on its own, duplicates counted once, nothing written in the request."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hosts.models import Host
from programs.models import Version
from programs.tests.factories import VersionFactory
from stats.ingest import events_ingest
from stats.models import DailyStats, EventKey, RawEvent
from stats.tests.conftest import SHANGHAI, event


def test_accepted_events_are_stored_and_counted(program, post, at):
    answer = post([event("e1", "visit", "u1", at(0), page="pages/index", page_views=3, stay_seconds=40),
                   event("e2", "payment", "u1", at(0), amount="12.50")])
    assert answer == {"accepted": 2, "duplicates": 0, "rejected": []}
    row = DailyStats.objects.get(program=program, scene="weibo.private_message")
    assert (row.visits, row.page_views, row.stay_seconds, row.payments, row.revenue_fen) == (1, 3, 40, 1, 1250)
    assert RawEvent.objects.count() == 2


def test_the_same_event_id_twice_counts_once_across_requests(program, post, at):
    first = post([event("e1", "visit", "u1", at(0))])
    again = post([event("e1", "visit", "u1", at(0)), event("e2", "visit", "u2", at(0))])
    assert first["accepted"] == 1
    assert (again["accepted"], again["duplicates"]) == (1, 1)
    assert DailyStats.objects.get(program=program).visits == 2


def test_duplicates_inside_one_batch_count_once(program, post, at):
    answer = post([event("e1", "visit", "u1", at(0))] * 3)
    assert (answer["accepted"], answer["duplicates"]) == (1, 2)
    assert DailyStats.objects.get(program=program).visits == 1


def test_a_retried_drain_stores_nothing_twice(program, at, weibo):
    """The task is retried after the events were stored (acks_late after a crash): counts stay."""
    from stats.drain import events_store
    from stats.events import validate_batch
    from stats.ingest import ingest_context

    raw = [event("e1", "visit", "u1", at(0)), event("e2", "share", "u1", at(0), share_id="s1")]
    accepted = validate_batch(raw, ingest_context(weibo, raw)).accepted
    assert events_store(accepted) == 2
    assert events_store(accepted) == 0
    row = DailyStats.objects.get(program=program)
    assert (row.visits, row.shares, row.unique_visitors, row.share_users) == (1, 1, 1, 1)


@pytest.mark.parametrize(("fields", "reason", "field"), [
    ({"appid": "9999999999999999"}, "unknown_program", "appid"),
    ({"scene": "alipay.life_account"}, "unknown_scene", "scene"),
    ({"scene": "weibo.nowhere"}, "unknown_scene", "scene"),
    ({"type": "purchase"}, "unknown_type", "type"),
    ({"user": ""}, "bad_field", "user"),
    ({"user": "u" * 129}, "bad_field", "user"),
    ({"id": "has space"}, "bad_field", "id"),
    ({"time": "yesterday"}, "bad_field", "time"),
    ({"time": "2026-11-30T10:00:00"}, "bad_field", "time"),
    ({"page_views": -1}, "bad_field", "page_views"),
    ({"page_views": True}, "bad_field", "page_views"),
    ({"stay_seconds": 10**9}, "bad_field", "stay_seconds"),
    # `$` let a final newline through: "abc\n" and "abc" were two events.
    ({"id": "abc\n"}, "bad_field", "id"),
    # PostgreSQL cannot store NUL: the drain failed after the batch was accepted, losing all of it.
    ({"page": "pages/a\x00"}, "bad_field", "page"),
    ({"page": "pages/a\nb"}, "bad_field", "page"),
    ({"user": "u\x00"}, "bad_field", "user"),
    ({"user": "u\x1b[2J"}, "bad_field", "user"),
])
def test_each_bad_event_is_refused_with_its_index_and_reason(program, post, at, fields, reason, field):
    bad = {**event("bad", "visit", "u1", at(0)), **fields}
    answer = post([event("ok", "visit", "u1", at(0)), bad])
    assert answer["accepted"] == 1
    assert answer["rejected"][0]["index"] == 1
    assert answer["rejected"][0]["reason"] == reason
    assert answer["rejected"][0]["field"] == field


@pytest.mark.parametrize(("amount", "ok"), [
    ("12.50", True), (3, True), (0.1, True), ("0", False), (-5, False), ("1.005", False), ("NaN", False),
    ("abc", False), (None, False), (True, False), ("100000000", False),
    # Decimal() reads these too; a string amount is plain ASCII digits, a number is any JSON number.
    ("5_000", False), ("١٢", False), (" 5 ", False), ("1e3", False), ("+5", False), ("5.", False), (1e3, True),
])
def test_payment_amounts(program, post, at, amount, ok):
    answer = post([event("p", "payment", "u1", at(0), amount=amount)])
    assert answer["accepted"] == int(ok)
    if not ok:  # "1e3" is a positive number with no decimals: the refusal says what a string may hold
        assert 'a string of plain digits ("19.90")' in answer["rejected"][0]["message"]


def test_share_ids_ending_in_a_newline_are_refused(program, post, at):
    answer = post([event("a", "share", "u1", at(0), share_id="s1\n"),
                   event("b", "share", "u1", at(0), share_id="s2", parent_share_id="s1\n"),
                   event("c", "share_open", "u2", at(0), share_id="s1\n")])
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(0, "share_id"), (1, "parent_share_id"),
                                                                      (2, "share_id")]


def test_a_share_needs_its_id_and_cannot_be_its_own_parent(program, post, at):
    answer = post([event("a", "share", "u1", at(0)),
                   event("b", "share", "u1", at(0), share_id="s1", parent_share_id="s1")])
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(0, "share_id"), (1, "parent_share_id")]


def test_events_too_late_or_in_the_future_are_refused(program, post):
    now = datetime.now(SHANGHAI)
    answer = post([
        event("late", "visit", "u1", (now - timedelta(days=7, minutes=5)).isoformat()),
        event("ok-late", "visit", "u1", (now - timedelta(days=6, hours=23)).isoformat()),
        event("future", "visit", "u1", (now + timedelta(minutes=6)).isoformat()),
        event("skew", "visit", "u1", (now + timedelta(minutes=4)).isoformat()),
    ])
    assert [r["reason"] for r in answer["rejected"]] == ["too_late", "time_in_future"]
    assert answer["rejected"][1]["message"] == ("time is more than 300 seconds ahead of the console's clock; check "
                                                "the host's clock.")
    assert answer["accepted"] == 2


def test_late_events_land_in_their_own_day(program, post):
    three_days_ago = (datetime.now(SHANGHAI) - timedelta(days=3)).replace(hour=1)
    post([event("e", "visit", "u1", three_days_ago.isoformat())])
    assert DailyStats.objects.get(program=program).day == three_days_ago.date()


def test_days_are_cut_in_the_platform_time_zone(program, post):
    """07:30 in Shanghai is 23:30 UTC the day before: the event belongs to Shanghai's day."""
    morning = (datetime.now(SHANGHAI) - timedelta(days=2)).replace(hour=7, minute=30)
    in_utc = morning.astimezone(UTC)
    assert in_utc.date() != morning.date()
    post([event("e", "visit", "u1", in_utc.isoformat())])
    assert DailyStats.objects.get(program=program).day == morning.date()


def test_a_program_not_released_on_the_host_is_refused(program, post, at):
    program.versions.update(approved_hosts=["alipay"])
    answer = post([event("e", "visit", "u1", at(0))])
    assert answer["rejected"][0]["reason"] == "program_not_on_host"
    program.versions.update(approved_hosts=["alipay", "weibo"])
    assert post([event("e", "visit", "u1", at(0))])["accepted"] == 1


def test_a_program_with_no_live_release_is_not_on_any_host(program, post, at):
    program.versions.update(status=Version.Status.ROLLED_BACK, status_changed_at=timezone.now() - timedelta(days=8))
    assert post([event("e", "visit", "u1", at(0))])["rejected"][0]["reason"] == "program_not_on_host"


def test_late_events_from_before_a_release_for_other_hosts_are_kept(program, post, at):
    """1.0.0 was live on every host until yesterday 12:00, when 2.0.0 (Alipay only) replaced it: Weibo's events
    of the days before still count, as late events do; its events after that moment are refused."""
    yesterday_noon = datetime.fromisoformat(at(1, 12))
    program.versions.update(status=Version.Status.SUPERSEDED, status_changed_at=yesterday_noon)
    VersionFactory(program=program, version="2.0.0", status=Version.Status.RELEASED, approved_hosts=["alipay"])

    answer = post([event("before", "visit", "u1", at(2)), event("just-before", "visit", "u2", at(1, 11)),
                   event("after", "visit", "u3", at(1, 13)), event("today", "visit", "u4", at(0))])

    assert answer["accepted"] == 2
    assert [(r["index"], r["reason"]) for r in answer["rejected"]] == [(2, "program_not_on_host"),
                                                                       (3, "program_not_on_host")]
    assert "since" in answer["rejected"][0]["message"]
    assert DailyStats.objects.filter(program=program).count() == 2


def test_a_rollback_keeps_the_events_of_the_rolled_back_release(program, post, at):
    program.versions.update(status=Version.Status.ROLLED_BACK, status_changed_at=datetime.fromisoformat(at(1, 12)))

    answer = post([event("before", "visit", "u1", at(1, 11)), event("after", "visit", "u2", at(0))])

    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1]


def test_host_user_ids_are_stored_only_as_keyed_hashes(program, post, at):
    post([event("e", "visit", "alice@weibo", at(0))])
    stored = RawEvent.objects.get()
    assert "alice" not in stored.user_hash and len(stored.user_hash) == 32
    assert not RawEvent.objects.filter(user_hash__contains="alice").exists()


def test_the_request_writes_nothing_to_the_database(program, weibo, at):
    """Validation and de-duplication only read; the drain task writes (here it is never run)."""
    with CaptureQueriesContext(connection) as queries:
        answer = events_ingest(host=weibo, events=[event(f"e{i}", "visit", f"u{i}", at(0)) for i in range(50)])
    assert answer.accepted == 50
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert len(queries) <= 5
    assert not EventKey.objects.exists()


def test_other_hosts_events_are_their_own(program, post, at):
    """The same event id from two hosts is two events."""
    alipay = Host.objects.get(code="alipay")
    post([event("e1", "visit", "u1", at(0))])
    answer = post([event("e1", "visit", "u1", at(0), scene="alipay.life_account")], host=alipay)
    assert answer["accepted"] == 1
    assert sorted(DailyStats.objects.values_list("host", flat=True)) == ["alipay", "weibo"]


def test_the_fast_check_accepts_exactly_what_validate_event_accepts(program, weibo, at):
    """`validate_batch` takes a flat fast path for good events; it must agree with `validate_event` on each."""
    from stats.events import Refusal, _FastCheck, validate_event
    from stats.ingest import ingest_context

    base = {"visit": event("e1", "visit", "u1", at(0), page="pages/a", page_views=2, stay_seconds=5),
            "share": event("e2", "share", "u1", at(1), share_id="s1", parent_share_id="s0"),
            "share_open": event("e3", "share_open", "u2", at(0), share_id="s1"),
            "new_user": event("e4", "new_user", "u3", at(2), share_id="s1"),
            "payment": event("e5", "payment", "u1", at(0), amount="9.90")}
    odd_values = [None, "", " ", "x" * 65, "x" * 201, "has space", "ok-1\n", 0, -1, 1, 10**9, True, 1.5, [], {},
                  "s1", "2026000000000001", "weibo.nowhere", "alipay.life_account", "2026-11-30T10:00:00",
                  "2099-01-01T00:00:00+00:00", "2000-01-01T00:00:00+00:00", "12.345", "0.01", "NaN"]
    fields = ["id", "type", "appid", "scene", "user", "time", "page", "page_views", "stay_seconds", "share_id",
              "parent_share_id", "amount"]
    cases = [*base.values(), "not an object", ["a list"]]
    for good in base.values():
        cases += [{**good, name: value} for name in fields for value in odd_values]
        cases += [{k: v for k, v in good.items() if k != name} for name in fields]
    ctx = ingest_context(weibo, [c for c in cases if isinstance(c, dict)])
    fast = _FastCheck(ctx)
    accepted = 0
    for case in cases:
        try:
            expected = validate_event(case, ctx)
        except Refusal:
            expected = None
        assert fast(case) == expected, case
        accepted += expected is not None
    assert 5 < accepted < len(cases) / 2  # both sides of the line were exercised


@pytest.mark.parametrize("key", [b"", b"k" * 32, b"k" * 64, b"k" * 65, bytes(range(200))])
def test_the_batch_hasher_is_the_keyed_hash(key):
    from stats.events import UserHasher, user_hash

    hasher = UserHasher(key, "weibo")
    for user in ["u1", "wb-5521093", "用户", "x" * 128]:
        assert hasher(user) == user_hash(key, "weibo", user)


def test_the_drain_task_takes_rows_and_the_older_list_of_events(program, at, weibo):
    """The task's message is the accepted events as rows; a message queued before (a list of dicts) still drains."""
    from stats.events import events_message, validate_batch
    from stats.ingest import ingest_context
    from stats.tasks import store_events

    raw = [event("e1", "visit", "u1", at(0)), event("e2", "share", "u1", at(0), share_id="s1"),
           event("e3", "visit", "u2", at(0))]
    accepted = validate_batch(raw, ingest_context(weibo, raw)).accepted
    message = events_message(accepted[:1])
    reordered = {"fields": message["fields"][::-1], "rows": [row[::-1] for row in message["rows"]]}
    assert store_events(json.loads(json.dumps(reordered))) == 1
    assert store_events(json.loads(json.dumps(events_message(accepted[:2])))) == 1
    assert store_events(json.loads(json.dumps(accepted))) == 1  # the older form
    row = DailyStats.objects.get(program=program)
    assert (row.visits, row.shares, row.unique_visitors, row.share_users) == (2, 1, 2, 1)


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_a_drain_that_loses_its_database_midway_is_tried_again_and_loses_nothing(program, at, weibo, monkeypatch, error):
    """A deadlock or a dropped connection rolls the batch back; the task tries it again instead of dropping it."""
    import django.db

    from stats import storage
    from stats.events import events_message, validate_batch
    from stats.ingest import ingest_context
    from stats.tasks import store_events

    raw = [event("e1", "visit", "u1", at(0)), event("e2", "share", "u1", at(0), share_id="s1"),
           event("e3", "visit", "u2", at(0))]
    message = json.loads(json.dumps(events_message(validate_batch(raw, ingest_context(weibo, raw)).accepted)))
    real_stage, calls = storage.stage_events, []

    def stage_failing_once(rows):
        calls.append(1)
        if len(calls) == 1:  # after the event keys were written: the rollback must take them back too
            raise getattr(django.db, error)("server closed the connection unexpectedly")
        return real_stage(rows)

    monkeypatch.setattr(storage, "stage_events", stage_failing_once)
    result = store_events.apply(args=[message], throw=False)
    assert result.successful() and result.result == 3 and len(calls) == 2
    row = DailyStats.objects.get(program=program)
    assert (row.visits, row.shares, row.unique_visitors) == (2, 1, 2)
    assert RawEvent.objects.count() == 3 and EventKey.objects.count() == 3


def test_a_drain_failing_for_another_reason_is_not_retried(program, at, weibo, monkeypatch):
    """A bug is not retried forever: the task fails, and the worker's log says why."""
    from stats import storage
    from stats.events import events_message, validate_batch
    from stats.ingest import ingest_context
    from stats.tasks import store_events

    raw = [event("e1", "visit", "u1", at(0))]
    message = json.loads(json.dumps(events_message(validate_batch(raw, ingest_context(weibo, raw)).accepted)))
    calls = []
    monkeypatch.setattr(storage, "stage_events", lambda rows: calls.append(1) or 1 / 0)
    result = store_events.apply(args=[message], throw=False)
    assert result.failed() and isinstance(result.result, ZeroDivisionError) and len(calls) == 1
    assert not EventKey.objects.exists()


def test_a_retry_while_the_first_attempt_is_still_queued(program, weibo, at):
    """Each id of a batch is claimed in one atomic step of the host runtime store (Redis, or the embedded
    default's SQLite file): a retry that arrives before the first attempt's drain ran is answered as
    duplicates. The fault: on the embedded default it was answered as accepted (a host resending within
    0.3 s saw 160 "accepted" for 150 payments; the drain stored 150)."""
    batch = [event(f"q{i}", "visit", f"u{i}", at(0)) for i in range(1_000)]
    first = events_ingest(host=weibo, events=batch)  # not committed: its drain is still queued
    again = events_ingest(host=weibo, events=[*batch[:10], event("q-new", "visit", "u-new", at(0))])
    assert (first.accepted, first.duplicates) == (1_000, 0)
    assert (again.accepted, again.duplicates) == (1, 10)


@pytest.mark.parametrize("value", [
    "wb-1", " wb-1 ", "   ", "", "u" * 128, "u" * 129, "u\x00", "u\n", "u\x1b", "用户", 5521093, 1.5, None, True,
])
def test_the_gate_and_the_events_take_the_same_host_users(program, weibo, at, value):
    """The gate once made numbers text and trimmed spaces: " wb-1 " was user "wb-1" there, " wb-1 " here."""
    from rest_framework.exceptions import ValidationError

    from distribution.host_apis import validated
    from distribution.host_serializers import ShareCheckInput
    from stats.events import Refusal, validate_event
    from stats.ingest import ingest_context

    try:
        gate = validated(ShareCheckInput, {"appid": program.appid, "scene": "weibo.feed", "user": value})["user"]
    except ValidationError:
        gate = None
    raw = event("e1", "visit", value, at(0))
    try:
        events = validate_event(raw, ingest_context(weibo, [raw]))["user_hash"]
    except Refusal:
        events = None

    assert (gate is None) == (events is None)
    if gate is not None:
        assert gate == value  # as sent, so both hash the same id


@pytest.mark.parametrize("value", ["s-1", "S.1:2_3", "s" * 64, "s" * 65, "-s", "s 1", "s1\n", "../../x", "分享", 7])
def test_the_gate_and_the_events_take_the_same_share_ids(program, weibo, at, value):
    from rest_framework.exceptions import ValidationError

    from distribution.host_apis import validated
    from distribution.host_serializers import ShareCheckInput
    from stats.events import Refusal, validate_event
    from stats.ingest import ingest_context

    try:
        validated(ShareCheckInput, {"appid": program.appid, "scene": "weibo.feed", "user": "u", "share_id": value})
        gate = True
    except ValidationError:
        gate = False
    raw = event("e1", "share", "u", at(0), share_id=value)
    try:
        validate_event(raw, ingest_context(weibo, [raw]))
        events = True
    except Refusal:
        events = False

    assert gate == events
    assert gate == (value in ("s-1", "S.1:2_3", "s" * 64))


def test_the_events_example_of_the_host_guide_answers_as_the_guide_says(weibo):
    """docs/host-api.md shows a batch and its answer: an integrator checks their client against it."""
    import dataclasses
    import re
    from pathlib import Path

    from stats.events import validate_batch
    from stats.ingest import ingest_context

    guide = Path(__file__).resolve().parents[2].joinpath("docs", "host-api.md").read_text()
    example = guide.split("## Usage events", 1)[1].split("```", 2)[1]
    batch = json.loads(re.search(r"^\{\"events\".*?\]\}$", example, re.M | re.S).group(0))
    answer = json.loads(re.search(r"^202 (\{.*\})$", example, re.M | re.S).group(1))
    appid = batch["events"][0]["appid"]
    context = dataclasses.replace(ingest_context(weibo, []), programs={appid: 1}, on_host={appid: None},
                                  now=datetime(2026, 11, 30, 2, 10, tzinfo=UTC))

    validated = validate_batch(batch["events"], context)

    assert {"accepted": len(validated.accepted), "duplicates": 0, "rejected": validated.rejected} == answer
    assert len(batch["events"]) == answer["accepted"] + answer["duplicates"] + len(answer["rejected"])


def test_times_are_stored_so_that_a_filter_on_them_finds_every_event(program, post):
    """On SQLite the raw table kept each time as sent ('…+05:30' beside '…+08:00') and compared them as text:
    a filter on `occurred_at` missed the event sent from India (a stats walk)."""
    from datetime import timezone as fixed_offset

    now = datetime.now(UTC).replace(microsecond=0)
    post([event("utc", "visit", "u1", (now - timedelta(hours=2)).isoformat()),
          event("india", "visit", "u2", (now - timedelta(hours=1)).astimezone(fixed_offset(timedelta(hours=5, minutes=30)))
                .isoformat()),
          event("shanghai", "visit", "u3", (now - timedelta(minutes=30)).astimezone(SHANGHAI).isoformat())])

    before = RawEvent.objects.filter(occurred_at__lt=now - timedelta(minutes=45))
    assert sorted(before.values_list("event_key", flat=True)) == ["weibo:india", "weibo:utc"]
    assert RawEvent.objects.get(event_key="weibo:india").occurred_at == now - timedelta(hours=1)
