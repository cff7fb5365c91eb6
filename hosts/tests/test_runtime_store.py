"""The runtime store's atomic steps, on both backends: SQLite always, Redis when REDIS_URL names one."""

import json
import threading

import pytest
from django.conf import settings

from hosts.runtime import Quota, Window, build_store

BACKENDS = ["sqlite", "redis"]
LOG = "test-log"


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs Redis (set REDIS_URL)")
        built = build_store(settings.REDIS_URL)
    else:
        built = build_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    built.clear()
    yield built
    built.clear()


def attempt(store, limits, *, now, refuse=None, record=None, nonce=None):
    return store.attempt(limits=limits, refuse=refuse, allow_reason="allowed", record=record, log=LOG, log_max=5,
                         nonce=nonce, nonce_ttl=300, now=now)


def test_a_window_allows_its_limit_then_says_when_the_oldest_leaves(store):
    window = Window("share_cap", "w:1", 2, 3600)

    answers = [attempt(store, [window], now=t) for t in (1000.0, 1010.0, 1020.0)]

    assert [a.allowed for a in answers] == [True, True, False]
    assert answers[2].reason == "share_cap"
    assert answers[2].retry_after == pytest.approx(1000 + 3600 - 1020)


def test_a_window_slides_so_nothing_bursts_at_a_boundary(store):
    """1 per hour: a share at 10:59 blocks 11:00 (a fixed window would reset there) until 11:59."""
    window = Window("share_cap", "w:2", 1, 3600)

    assert attempt(store, [window], now=3599.0).allowed
    assert not attempt(store, [window], now=3601.0).allowed
    assert not attempt(store, [window], now=7198.0).allowed
    assert attempt(store, [window], now=7199.5).allowed


def test_a_quota_counts_until_it_resets(store):
    quota = Quota("daily_cap", "q:1", 2, 100)

    answers = [attempt(store, [quota], now=50.0 + n) for n in range(3)]

    assert [a.allowed for a in answers] == [True, True, False]
    assert answers[2].reason == "daily_cap"
    assert 97 <= answers[2].retry_after <= 100


def test_nothing_is_consumed_when_one_limit_refuses(store):
    window = Window("share_cap", "w:3", 5, 3600)
    full = Quota("daily_cap", "q:2", 1, 100)
    assert attempt(store, [full], now=1.0).allowed

    refused = [attempt(store, [window, full], now=2.0 + n) for n in range(10)]

    assert {a.reason for a in refused} == {"daily_cap"}
    assert [attempt(store, [window], now=20.0 + n).allowed for n in range(6)] == [True] * 5 + [False]


def test_a_refusal_known_beforehand_consumes_nothing_and_is_recorded(store):
    window = Window("share_cap", "w:4", 1, 3600)

    answer = attempt(store, [window], now=1.0, refuse="scene_paused", record={"appid": "a"})

    assert (answer.allowed, answer.reason, answer.retry_after) == (False, "scene_paused", None)
    assert attempt(store, [window], now=2.0).allowed
    assert store.drain(LOG, 10) == [{"appid": "a", "allow": False, "reason": "scene_paused", "retry_after": None}]


def test_answers_are_drained_oldest_first_and_only_once(store):
    for n in range(3):
        attempt(store, [], now=float(n), record={"n": n})

    assert [item["n"] for item in store.drain(LOG, 2)] == [0, 1]
    assert [item["n"] for item in store.drain(LOG, 2)] == [2]
    assert store.drain(LOG, 2) == []


def test_taken_answers_stay_taken_until_done_and_are_taken_again_meanwhile(store):
    """A consumer stopped between take and done (killed, its database down) gets the same batch next time."""
    for n in range(5):
        attempt(store, [], now=float(n), record={"n": n})

    token, items = store.take(LOG, 3)
    assert token and [item["n"] for item in items] == [0, 1, 2]
    attempt(store, [], now=9.0, record={"n": 9})  # answers recorded meanwhile wait behind the batch
    again, items = store.take(LOG, 3)
    assert again == token and [item["n"] for item in items] == [0, 1, 2]

    store.done(LOG, token)
    store.done(LOG, token)  # a second done changes nothing
    token2, items = store.take(LOG, 10)
    assert token2 != token and [item["n"] for item in items] == [3, 4, 9]
    store.done(LOG, token)  # a stale token does not forget the batch taken after it
    assert store.take(LOG, 10)[0] == token2
    store.done(LOG, token2)
    assert store.take(LOG, 10) == ("", [])


def test_appended_records_are_never_trimmed_and_are_taken_in_order(store):
    """`append` is for records that must not be lost (the ingest's event batches): no `log_max` drops them."""
    for n in range(600):
        store.append(LOG, {"n": n, "rows": [["a", 1]]})

    token, items = store.take(LOG, 1_000)

    assert [item["n"] for item in items] == list(range(600))
    assert items[0]["rows"] == [["a", 1]]
    store.done(LOG, token)
    assert store.take(LOG, 1_000) == ("", [])


def test_records_taken_under_a_lease_are_left_to_their_consumer_until_it_ends(store):
    """Two drains at once both stored the same batches; with a lease the second finds nothing to take, and a
    consumer killed mid-way leaves its records to whoever takes them once the lease is over."""
    store.append(LOG, {"n": 1})

    token, items = store.take(LOG, 10, lease=30, now=1000.0)
    assert token and items == [{"n": 1}]
    store.append(LOG, {"n": 2})
    assert store.take(LOG, 10, lease=30, now=1029.0) == ("", [])  # another consumer, within the lease
    again, items = store.take(LOG, 10, lease=30, now=1031.0)  # the first one stopped: taken over
    assert (again, items) == (token, [{"n": 1}])
    assert store.take(LOG, 10, lease=30, now=1040.0) == ("", [])  # and leased afresh
    store.done(LOG, token)
    assert store.take(LOG, 10, lease=30, now=1041.0)[1] == [{"n": 2}]


def test_a_large_batch_is_taken_whole_and_in_order(store):
    """Redis moves the batch aside in chunks (a Lua call takes a few thousand arguments at most)."""
    for n in range(2_500):
        store.attempt(limits=[], refuse=None, allow_reason="allowed", record={"n": n}, log=LOG, log_max=10_000,
                      nonce=None, nonce_ttl=300, now=float(n))
    token, items = store.take(LOG, 10_000)
    assert [item["n"] for item in items] == list(range(2_500))
    assert store.take(LOG, 10_000)[1] == items
    store.done(LOG, token)
    assert store.take(LOG, 10_000) == ("", [])


def test_a_capped_answer_is_recorded_with_its_retry_after(store):
    window = Window("share_cap", "w:5", 1, 3600)
    attempt(store, [window], now=0.0, record={"n": 1})
    attempt(store, [window], now=600.0, record={"n": 2})

    assert store.drain(LOG, 5) == [{"n": 1, "allow": True, "reason": "allowed", "retry_after": None},
                                   {"n": 2, "allow": False, "reason": "share_cap", "retry_after": 3000}]


def test_the_answer_is_kept_under_the_nonce_for_a_replay(store):
    assert store.admit(rate=None, nonce="n1", nonce_ttl=300, now=1.0).prior is None
    attempt(store, [Window("share_cap", "w:6", 1, 3600)], now=1.0, nonce="n1")

    replay = store.admit(rate=None, nonce="n1", nonce_ttl=300, now=2.0)

    assert replay.replayed
    assert json.loads(replay.prior) == {"allow": True, "reason": "allowed", "retry_after": None}


def test_a_nonce_being_answered_is_reported_as_pending(store):
    store.admit(rate=None, nonce="n2", nonce_ttl=300, now=1.0)

    assert store.admit(rate=None, nonce="n2", nonce_ttl=300, now=1.5).prior == ""


def test_the_rate_quota_refuses_with_the_time_left_in_its_bucket(store):
    rate = Quota("rate_limited", "rate:k:1", 2, 30)

    answers = [store.admit(rate=rate, nonce=f"r{n}", nonce_ttl=300, now=100.0 + n) for n in range(3)]

    assert [a.retry_after is None for a in answers] == [True, True, False]
    assert 27 <= answers[2].retry_after <= 30


def test_counters_increment_atomically(store):
    threads = [threading.Thread(target=lambda: [store.increment("gen") for _ in range(20)]) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert store.counter("gen") == 100


def test_fifty_concurrent_attempts_get_exactly_the_cap(store):
    """Threads released together on one user's window and the program's daily quota: no overrun."""
    window = Window("share_cap", "w:race", 3, 3600)
    quota = Quota("daily_cap", "q:race", 40, 86400)
    barrier = threading.Barrier(50)
    results = []

    def ask(n):
        barrier.wait(timeout=10)
        results.append(attempt(store, [window, quota], now=1000.0 + n / 1000, record={"n": n}))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(r.allowed for r in results) == 3
    assert len(results) == 50


def test_a_claiming_step_stops_at_a_replay_and_repeats_the_first_answer(store):
    window = Window("share_cap", "w:7", 1, 3600)
    first = store.attempt(limits=[window], refuse=None, allow_reason="allowed", record={"n": 1}, log=LOG, log_max=5,
                          nonce="n3", nonce_ttl=300, now=1.0, claim=True)

    again = store.attempt(limits=[window], refuse=None, allow_reason="allowed", record={"n": 2}, log=LOG, log_max=5,
                          nonce="n3", nonce_ttl=300, now=2.0, claim=True)

    assert first.allowed and first.stopped is None
    assert json.loads(again.stopped.prior) == {"allow": True, "reason": "allowed", "retry_after": None}
    assert [item["n"] for item in store.drain(LOG, 10)] == [1]


def test_a_claiming_step_stops_over_the_rate_and_counts_nothing_else(store):
    rate = Quota("rate_limited", "rate:k:2", 1, 30)
    window = Window("share_cap", "w:8", 5, 3600)

    def step(nonce, now):
        return store.attempt(limits=[window], refuse=None, allow_reason="allowed", record={"nonce": nonce}, log=LOG,
                             log_max=5, nonce=nonce, nonce_ttl=300, now=now, claim=True, rate=rate)

    first, second = step("a", 10.0), step("b", 11.0)

    assert first.allowed and second.stopped is not None and 18 <= second.stopped.retry_after <= 30
    assert [item["nonce"] for item in store.drain(LOG, 10)] == ["a"]
    assert store.admit(rate=None, nonce="b", nonce_ttl=300, now=12.0).prior is None  # "b" was not claimed


def test_claiming_ids_answers_once_per_id_until_they_expire(store):
    assert store.claim_ids(["a", "b", "a"], ttl=60, now=1000.0) == [True, True, False]
    assert store.claim_ids(["b", "c"], ttl=60, now=1001.0) == [False, True]
    assert store.claim_ids([], ttl=60, now=1001.0) == []
    store.clear()
    assert store.claim_ids(["a"], ttl=60, now=1002.0) == [True]


def test_a_claimed_id_is_seen_again_after_its_time_on_sqlite(tmp_path):
    """Redis expires by its own clock (tested by the ingest's tests); the SQLite file by the `now` given."""
    store = build_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    assert store.claim_ids(["a"], ttl=60, now=1000.0) == [True]
    assert store.claim_ids(["a"], ttl=60, now=1059.0) == [False]
    assert store.claim_ids(["a"], ttl=60, now=1061.0) == [True]


def test_ids_claimed_by_threads_at_once_are_new_to_exactly_one(store):
    ids = [f"id{i}" for i in range(300)]
    answers, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        answers.append(store.claim_ids(ids, ttl=60, now=1000.0))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [sum(column) for column in zip(*answers, strict=True)] == [1] * len(ids)
