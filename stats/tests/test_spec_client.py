"""A host client written from SPEC §9 alone (headers, signature, bodies, answers), not from our signing code.

It signs with hashlib/hmac as the spec words it and calls a live server over HTTP: the share gate, the
placements and the events must all accept it, and a wrong signature must get 401 in the error shape.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

import pytest

from hosts.models import Host
from hosts.services import credential_create
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory


def spec_call(base, key_id, secret, method, path_with_query, payload=None):
    body = b"" if payload is None else json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    to_sign = f"{timestamp}\n{method}\n{path_with_query}\n".encode() + body
    signature = hmac.new(secret.encode(), to_sign, hashlib.sha256).hexdigest()
    request = urllib.request.Request(base + path_with_query, data=body or None, method=method, headers={
        "X-Host-Key": key_id, "X-Host-Timestamp": timestamp, "X-Host-Signature": f"sha256={signature}",
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_client_written_from_the_spec_works(live_server):
    program = MiniProgramFactory(appid="2026000000000099")
    VersionFactory(program=program, version="1.0.0", status=Version.Status.RELEASED)
    credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="spec")
    call = lambda *a, **k: spec_call(live_server.url, credential.key_id, secret, *a, **k)  # noqa: E731

    status, answer = call("POST", "/api/v1/hosts/weibo/share-checks/",
                          {"appid": program.appid, "scene": "weibo.private_message", "user": "u1", "share_id": "s1"})
    assert (status, answer) == (200, {"allow": True, "reason": "allowed", "retry_after": None})
    status, answer = call("GET", "/api/v1/hosts/weibo/placements/?scene=weibo.profile&account=1001")
    assert status == 200 and answer["cards"] == []
    status, answer = call("POST", "/api/v1/hosts/weibo/events/", {"events": [
        {"id": "e1", "type": "visit", "appid": program.appid, "scene": "weibo.private_message", "user": "u1",
         "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "page": "pages/index/index",
         "page_views": 2, "stay_seconds": 30}]})
    assert (status, answer) == (202, {"accepted": 1, "duplicates": 0, "rejected": []})

    status, answer = spec_call(live_server.url, credential.key_id, "hs_not_the_secret", "POST",
                               "/api/v1/hosts/weibo/share-checks/", {"appid": program.appid})
    assert status == 401 and set(answer["error"]) == {"code", "message", "fields"}
