"""Every refusal of a signed host call (SPEC §9 "Host calls"), and what gets through."""

import time

import pytest

from hosts.services import credential_create, credential_revoke
from hosts.tests.fixtures import SignedClient

SHARE = "/api/v1/hosts/weibo/share-checks/"
PLACEMENTS = "/api/v1/hosts/weibo/placements/?scene=weibo.profile&account=42"
ASK = {"appid": "2025000000000001", "scene": "weibo.nowhere", "user": "u-1"}


def _error(response):
    return response.status_code, response.json()["error"]["code"]


def test_a_signed_call_is_answered(weibo_client):
    response = weibo_client.post(SHARE, ASK)

    assert response.status_code == 200
    assert response.json() == {"allow": False, "reason": "scene_unknown", "retry_after": None}


def test_a_signed_get_with_a_query_is_answered(weibo_client):
    response = weibo_client.get(PLACEMENTS)

    assert response.status_code == 200
    assert response.json() == {"scene": "weibo.profile", "active": True, "cards": []}


@pytest.mark.parametrize("missing", ["HTTP_X_HOST_KEY", "HTTP_X_HOST_TIMESTAMP", "HTTP_X_HOST_SIGNATURE"])
def test_a_missing_header_is_401(weibo_client, missing):
    meta = weibo_client.headers("POST", SHARE, b"{}")
    del meta[missing]

    response = weibo_client.api.generic("POST", SHARE, b"{}", content_type="application/json", **meta)

    assert _error(response) == (401, "not_authenticated")
    assert response["WWW-Authenticate"] == "HostSignature"


def test_an_unsigned_call_is_401_even_with_an_org_api_key(weibo, api_with_key):
    response = api_with_key.post(SHARE, ASK, format="json")

    assert _error(response) == (401, "not_authenticated")


def test_an_unknown_key_gets_the_same_answer_as_a_wrong_signature(weibo_client):
    unknown = weibo_client.post(SHARE, ASK, key_id="hk_0000000000000000")
    wrong = weibo_client.post(SHARE, ASK, secret="hs_not-the-secret")

    assert _error(unknown) == _error(wrong) == (401, "invalid_signature")
    assert unknown.json() == wrong.json()


def test_a_revoked_key_is_refused_like_an_unknown_one(weibo_client, weibo_credential, settings):
    settings.GATE_REFRESH_SECONDS = 0  # no cached credential: the revocation is seen at once
    credential_revoke(credential=weibo_credential[0], actor=None)

    response = weibo_client.post(SHARE, ASK)

    assert _error(response) == (401, "invalid_signature")


def test_a_revocation_reaches_a_process_that_cached_the_key_within_a_refresh(weibo_client, weibo_credential):
    assert weibo_client.post(SHARE, {**ASK, "user": "a"}).status_code == 200  # cached now
    credential_revoke(credential=weibo_credential[0], actor=None)
    time.sleep(1.0)

    assert _error(weibo_client.post(SHARE, {**ASK, "user": "b"})) == (401, "invalid_signature")


@pytest.mark.parametrize("part", ["body", "path", "method", "timestamp"])
def test_a_tampered_request_is_refused_without_saying_which_part(weibo_client, part):
    body = b'{"appid": "2025000000000001", "scene": "weibo.nowhere", "user": "u-1"}'
    stamp = int(time.time())
    meta = weibo_client.headers("POST", SHARE, body, timestamp=stamp)
    send = {"body": body, "path": SHARE, "method": "POST"}
    if part == "body":
        send["body"] = body.replace(b"u-1", b"u-2")
    elif part == "path":
        send["path"] = "/api/v1/hosts/weibo/share-checks/?x=1"
    elif part == "method":
        send["method"] = "PUT"
    else:
        meta["HTTP_X_HOST_TIMESTAMP"] = str(stamp - 1)

    response = weibo_client.api.generic(send["method"], send["path"], send["body"], content_type="application/json",
                                        **meta)

    assert response.status_code == 401
    assert response.json()["error"] == {"code": "invalid_signature", "message": "The signature is not valid for an "
                                        "active key.", "fields": {}}


def test_a_timestamp_older_than_five_minutes_is_refused(weibo_client):
    response = weibo_client.post(SHARE, ASK, timestamp=int(time.time()) - 301)

    assert _error(response) == (401, "stale_timestamp")


def test_a_timestamp_just_inside_five_minutes_is_accepted(weibo_client):
    assert weibo_client.post(SHARE, ASK, timestamp=int(time.time()) - 295).status_code == 200


def test_a_timestamp_from_the_future_is_refused(weibo_client):
    response = weibo_client.post(SHARE, ASK, timestamp=int(time.time()) + 60)

    assert _error(response) == (401, "stale_timestamp")


@pytest.mark.parametrize("stamp", ["1767225600.5", "-5", "soon", "１７６７２２５６００", "9" * 20])
def test_a_malformed_timestamp_is_refused(weibo_client, stamp):
    meta = weibo_client.headers("POST", SHARE, b"{}")
    meta["HTTP_X_HOST_TIMESTAMP"] = stamp

    response = weibo_client.api.generic("POST", SHARE, b"{}", content_type="application/json", **meta)

    assert _error(response) == (401, "invalid_timestamp")


def test_a_key_of_another_host_gets_404_as_an_outsider(weibo_client):
    response = weibo_client.post("/api/v1/hosts/alipay/share-checks/", ASK)

    assert _error(response) == (404, "not_found")


def test_another_hosts_key_and_a_missing_host_get_the_same_404(weibo_client):
    other = weibo_client.post("/api/v1/hosts/alipay/share-checks/", ASK)
    missing = weibo_client.post("/api/v1/hosts/no-such-host/share-checks/", ASK)

    assert (other.status_code, other.json()) == (missing.status_code, missing.json())


def test_a_replayed_get_is_answered_again(weibo_client):
    """Two renders of one profile page in the same second sign the very same read; reading twice changes nothing."""
    stamp = int(time.time())
    first = weibo_client.get(PLACEMENTS, timestamp=stamp)
    again = weibo_client.get(PLACEMENTS, timestamp=stamp)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()


def test_a_replayed_get_still_counts_against_the_rate(weibo, settings):
    credential, secret = credential_create(host=weibo, actor=None, name="slow", requests_per_minute=2)
    client, stamp = SignedClient(credential.key_id, secret), int(time.time())

    answers = [client.get(PLACEMENTS, timestamp=stamp) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]


def test_the_same_call_signed_again_later_is_not_a_replay(weibo_client):
    stamp = int(time.time())
    assert weibo_client.get(PLACEMENTS, timestamp=stamp - 1).status_code == 200
    assert weibo_client.get(PLACEMENTS, timestamp=stamp).status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(weibo, settings):
    credential, secret = credential_create(host=weibo, actor=None, name="slow", requests_per_minute=3)
    client = SignedClient(credential.key_id, secret)

    answers = [client.post(SHARE, {**ASK, "user": f"u{n}"}) for n in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[3]["Retry-After"]) <= 60


def test_the_rate_limit_is_per_key(weibo, settings):
    slow, slow_secret = credential_create(host=weibo, actor=None, name="slow", requests_per_minute=1)
    other, other_secret = credential_create(host=weibo, actor=None, name="other", requests_per_minute=1)

    assert SignedClient(slow.key_id, slow_secret).post(SHARE, ASK).status_code == 200
    assert SignedClient(slow.key_id, slow_secret).post(SHARE, {**ASK, "user": "x"}).status_code == 429
    assert SignedClient(other.key_id, other_secret).post(SHARE, ASK).status_code == 200


def test_a_rate_limited_call_can_be_sent_again_unchanged_once_the_limit_lifts(weibo, settings):
    """A 429 does not burn the signature: the host may retry the very same request."""
    credential, secret = credential_create(host=weibo, actor=None, name="slow", requests_per_minute=1)
    client = SignedClient(credential.key_id, secret)
    assert client.post(SHARE, ASK).status_code == 200
    stamp = int(time.time())
    assert client.post(SHARE, {**ASK, "user": "z"}, timestamp=stamp).status_code == 429

    from hosts.runtime import host_store

    host_store().clear()  # the minute is over

    assert client.post(SHARE, {**ASK, "user": "z"}, timestamp=stamp).status_code == 200


def test_the_429_message_says_when_once(weibo, settings):
    credential, secret = credential_create(host=weibo, actor=None, name="slow", requests_per_minute=1)
    client = SignedClient(credential.key_id, secret)
    client.post(SHARE, ASK)

    answer = client.post(SHARE, {**ASK, "user": "y"})

    message = answer.json()["error"]["message"]
    assert answer.status_code == 429
    assert message.startswith("This key made more than 1 calls this minute; try again in ")
    assert "Expected available" not in message  # DRF appended its own sentence saying the same


@pytest.mark.parametrize("bad_call", [
    {"body": b"not json"}, {"body": b"[1]"}, {"body": b'{"appid": 1}'}, {"method": "GET"},
])
def test_refused_gate_calls_count_against_the_rate_too(weibo, settings, bad_call):
    """The gate admits a call with its answer, in one atomic step; a call refused before that counted nothing,
    so a host could send bad calls without limit."""
    credential, secret = credential_create(host=weibo, actor=None, name="slow", requests_per_minute=3)
    client = SignedClient(credential.key_id, secret)

    stamp = int(time.time())
    for n in range(3):
        body, method = bad_call.get("body", b""), bad_call.get("method", "POST")
        meta = client.headers(method, SHARE, body, timestamp=stamp - n)  # each signed afresh: not a replay
        refused = client.api.generic(method, SHARE, body, content_type="application/json", **meta)
        assert refused.status_code in (400, 405), refused.content
    over = client.post(SHARE, ASK)

    assert (over.status_code, over.json()["error"]["code"]) == (429, "rate_limited")
    assert 1 <= int(over["Retry-After"]) <= 60
