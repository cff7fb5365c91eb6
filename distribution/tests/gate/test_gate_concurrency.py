"""50 hosts' clients at once for one user and program: exactly the cap is allowed, never more.

Real threads, each with its own database connection and its own signed request, released together
by a barrier, against the configured runtime store: the SQLite file on the embedded default, Redis
when REDIS_URL is set (both runs of the suite execute this). Across processes: bench/gate.py under gunicorn.
"""

import threading

import pytest
from django.db import connection

from distribution.gate import gate_answers_drain
from distribution.tests.gate.helpers import grant_for, released_program

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SHARE = "/api/v1/hosts/weibo/share-checks/"
CLIENTS = 50


def _storm(client, bodies) -> list:
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def run(index, body):
        try:
            barrier.wait(timeout=20)
            response = client.post(SHARE, body)
            answers[index] = response.json() if response.status_code == 200 else response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.parametrize("cap", [1, 3])
def test_fifty_concurrent_checks_for_one_user_get_exactly_the_share_cap(weibo_client, cap):
    program = released_program()
    grant_for(program, "weibo.feed", share_cap=cap, share_window_seconds=3600)
    bodies = [{"appid": program.appid, "scene": "weibo.feed", "user": "wb-1", "share_id": f"s{n}"}
              for n in range(CLIENTS)]

    answers = _storm(weibo_client, bodies)

    assert all(isinstance(a, dict) for a in answers), answers
    assert sum(a["allow"] for a in answers) == cap
    assert {a["reason"] for a in answers if not a["allow"]} == {"share_cap"}
    assert len(gate_answers_drain(1000)) == CLIENTS


def test_fifty_concurrent_users_get_exactly_the_daily_cap(weibo_client):
    program = released_program()
    grant_for(program, "weibo.feed", daily_cap=7)
    bodies = [{"appid": program.appid, "scene": "weibo.feed", "user": f"wb-{n}"} for n in range(CLIENTS)]

    answers = _storm(weibo_client, bodies)

    assert sum(a["allow"] for a in answers) == 7
    assert {a["reason"] for a in answers if not a["allow"]} == {"daily_cap"}


def test_fifty_concurrent_replays_count_once(weibo_client):
    """The very same signed request fifty times at once: one counts, the other 49 repeat its answer."""
    program = released_program()
    grant_for(program, "weibo.feed", share_cap=5)
    body = {"appid": program.appid, "scene": "weibo.feed", "user": "wb-1", "share_id": "s-1"}
    import json

    raw = json.dumps(body).encode()
    meta = weibo_client.headers("POST", SHARE, raw)
    barrier = threading.Barrier(CLIENTS)
    responses: list = []

    def run():
        try:
            barrier.wait(timeout=20)
            responses.append(weibo_client.api.generic("POST", SHARE, raw, content_type="application/json", **meta))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status_code for r in responses] == [200] * CLIENTS
    assert {r.content for r in responses} == {b'{"allow":true,"reason":"allowed","retry_after":null}'}
    assert sum(r.has_header("X-Host-Replayed") for r in responses) == CLIENTS - 1
    assert len(gate_answers_drain(1000)) == 1
