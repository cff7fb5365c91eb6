"""`POST /api/v1/hosts/{host}/events/` as a host calls it: signed, validated per event, counted once."""

import json
import time

import pytest

from hosts.tests.fixtures import *  # noqa: F403 - signed host calls
from stats.models import DailyStats
from stats.tests.conftest import event

URL = "/api/v1/hosts/weibo/events/"


@pytest.fixture
def send(weibo_client, django_capture_on_commit_callbacks):
    def post(payload, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return weibo_client.post(kw.pop("path", URL), payload, **kw)

    return post


def test_a_signed_batch_is_accepted_and_counted(program, send, at):
    response = send({"events": [event("e1", "visit", "u1", at(0)), event("e2", "share", "u1", at(0), share_id="S")]})
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    row = DailyStats.objects.get(program=program)
    assert (row.visits, row.shares, row.unique_visitors) == (1, 1, 1)


def test_a_retry_re_signed_counts_once(program, send, at):
    batch = {"events": [event("e1", "visit", "u1", at(0))]}
    assert send(batch).json()["accepted"] == 1
    # A retry is signed afresh (another timestamp): not a replay, but the same event ids.
    assert send(batch, timestamp=int(time.time()) - 2).json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert DailyStats.objects.get(program=program).visits == 1


def test_a_replayed_signature_is_refused(program, weibo_client, at):
    body = json.dumps({"events": [event("e1", "visit", "u1", at(0))]}).encode()
    headers = weibo_client.headers("POST", URL, body, timestamp=int(time.time()))
    first = weibo_client.api.generic("POST", URL, body, content_type="application/json", **headers)
    again = weibo_client.api.generic("POST", URL, body, content_type="application/json", **headers)
    assert first.status_code == 202
    assert (again.status_code, again.json()["error"]["code"]) == (401, "replayed")


def test_unsigned_and_badly_signed_calls_are_refused(program, api, weibo_client, at):
    batch = {"events": [event("e1", "visit", "u1", at(0))]}
    assert api.post(URL, batch, format="json").status_code == 401
    response = weibo_client.post(URL, batch, secret="hs_wrong")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "invalid_signature")


def test_a_key_of_another_host_gets_404(program, weibo_client, at):
    path = "/api/v1/hosts/alipay/events/"
    response = weibo_client.post(path, {"events": [event("e1", "visit", "u1", at(0))]})
    assert response.status_code == 404


def test_bad_events_are_refused_one_by_one(program, send, at):
    response = send({"events": [event("ok", "visit", "u1", at(0)), "nonsense",
                                event("bad", "visit", "u1", at(0), appid="9" * 16)]})
    body = response.json()
    assert response.status_code == 202
    assert body["accepted"] == 1
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [(1, "not_an_object"), (2, "unknown_program")]


@pytest.mark.parametrize("payload", [[], {"events": "all of them"}, {"events": []}, {"evnts": [1]}, "text"])
def test_a_malformed_body_is_refused_whole(program, send, payload):
    response = send(payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_more_than_a_thousand_events_is_refused_whole(program, send, at):
    response = send({"events": [event(f"e{i}", "visit", "u1", at(0)) for i in range(1001)]})
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_many_events")
    assert not DailyStats.objects.exists()


def test_the_events_of_another_host_are_not_this_hosts(program, send, at):
    """A weibo key posting alipay's scene: the scene is unknown on weibo."""
    body = send({"events": [event("e1", "visit", "u1", at(0), scene="alipay.life_account")]}).json()
    assert body["rejected"][0]["reason"] == "unknown_scene"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded hosts for the server
def test_the_host_client_posts_one_event_to_a_running_console(live_server, weibo_credential, capsys):
    """`python -m hosts.client event …` (the dashboard's empty state shows this command) is counted."""
    from hosts.client import main
    from programs.models import Version
    from programs.tests.factories import MiniProgramFactory, VersionFactory

    program = MiniProgramFactory(appid="2026000000000077")
    VersionFactory(program=program, version="1.0.0", status=Version.Status.RELEASED)
    credential, secret = weibo_credential
    code = main(["--url", live_server.url, "--key", credential.key_id, "--secret", secret, "event", "--host", "weibo",
                 "--appid", program.appid, "--scene", "weibo.private_message", "--user", "demo-user-1"])
    assert code == 0, capsys.readouterr()
    assert json.loads(capsys.readouterr().out) == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert DailyStats.objects.get(program=program).visits == 1


@pytest.mark.parametrize("body", [
    b'{"events": [',  # cut off mid-way
    b'{"events": ["\xff\xfe"]}',  # not UTF-8
    b"[" * 5000 + b"]" * 5000,  # past every parser's nesting: a 400, not a RecursionError
    b'{"events": ' + b"[" * 40 + b"]" * 40 + b"}",  # parses, but deeper than any request of this API
    b'{"events": [{"id": "e1", "type": "payment", "amount": NaN}]}',  # not strict JSON (both parsers agree)
], ids=["truncated", "not-utf8", "5000-deep", "40-deep", "nan"])
def test_raw_bodies_that_are_not_a_batch_get_a_400_in_the_error_shape(program, weibo_client, body):
    headers = weibo_client.headers("POST", URL, body, timestamp=int(time.time()))
    response = weibo_client.api.generic("POST", URL, body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"parse_error", "invalid"}
    assert DailyStats.objects.count() == 0



def test_a_lone_surrogate_refuses_the_batch_whole_and_stores_nothing(program, weibo_client, at):
    """Such a string is not text (I-JSON forbids it): hashing the user failed as a 500, and a page with one
    was accepted, then failed the drain, losing the whole batch."""
    body = json.dumps({"events": [event("ok", "visit", "u1", at(0)),
                                  event("bad", "visit", "u1", at(0), page="pages/\udfff")]}).encode()
    meta = weibo_client.headers("POST", URL, body)
    response = weibo_client.api.generic("POST", URL, body, content_type="application/json", **meta)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert "lone surrogate" in response.json()["error"]["message"]
    assert not DailyStats.objects.exists()


def test_control_characters_refuse_their_event_and_the_rest_is_stored(program, send, at):
    """On PostgreSQL a NUL in a page failed the drain's COPY after the batch was accepted (all of it lost)."""
    from stats.models import RawEvent

    response = send({"events": [event("nul", "visit", "u1", at(0), page="pages/a\x00"),
                                event("ok", "visit", "u2", at(0), page="pages/ok"),
                                event("esc", "visit", "u\x1b", at(0))]})

    assert response.status_code == 202
    answer = response.json()
    assert answer["accepted"] == 1
    assert [(r["index"], r["reason"], r["field"]) for r in answer["rejected"]] == [
        (0, "bad_field", "page"), (2, "bad_field", "user")]
    assert list(RawEvent.objects.values_list("page", flat=True)) == ["pages/ok"]
    assert DailyStats.objects.get(program=program).visits == 1


def test_a_database_that_dropped_the_connection_is_a_503_to_retry(program, send, at, monkeypatch):
    """A fault walk killed the database's connections during ingest: 500 `server_error` for 4–13 of 30 posts,
    which reads as a bug in the request. The request is fine and works again in a moment: say so, and when."""
    from django.db import OperationalError

    def dropped(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("stats.ingest.ingest_context", dropped)
    response = send({"events": [event("e1", "visit", "u1", at(0))]})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response["Retry-After"] == "5"


def test_a_chunked_body_is_refused_with_411_not_a_signature_error(program, weibo_client, at):
    """WSGI reads a body by its Content-Length; under gunicorn a chunked body arrived empty, and its signature
    (over the real bytes) failed as `invalid_signature`. The answer now says what to change."""
    body = json.dumps({"events": [event("e1", "visit", "u1", at(0))]}).encode()
    headers = weibo_client.headers("POST", URL, body)
    response = weibo_client.api.generic("POST", URL, body, content_type="application/json",
                                        HTTP_TRANSFER_ENCODING="chunked", **headers)

    assert response.status_code == 411
    assert response.json()["error"]["code"] == "length_required"
    assert "Content-Length" in response.json()["error"]["message"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml"])
def test_the_answer_is_json_whatever_the_accept_header_says(program, weibo_client, at, accept):
    """As the share gate's and the placements' are: a host's HTTP library may ask for HTML; a 406 lost the batch."""
    body = json.dumps({"events": [event("e1", "visit", "u1", at(0))]}).encode()
    headers = weibo_client.headers("POST", URL, body)
    response = weibo_client.api.generic("POST", URL, body, content_type="application/json", HTTP_ACCEPT=accept,
                                        **headers)

    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_the_body_is_read_as_json_whatever_its_content_type(program, weibo_client, at, content_type):
    """As the share gate reads its body: the events call answered the same host a 415 (an integrator's walk)."""
    body = json.dumps({"events": [event("e1", "visit", "u1", at(0))]}).encode()
    headers = weibo_client.headers("POST", URL, body)
    response = weibo_client.api.generic("POST", URL, body, content_type=content_type, **headers)

    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
