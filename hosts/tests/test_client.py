"""hosts/client.py, the integrators' signed client, run in-process (`main(argv)`) against a live server."""

import functools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distribution.gate import gate_answers_drain
from distribution.tests.gate.helpers import grant_for, placement_for, released_program
from hosts import client as host_client
from hosts.signing import signature

live = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_host_env(monkeypatch):
    for name in ("CONSOLE_URL", "HOST_KEY_ID", "HOST_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run(live_server, weibo_credential, capsys):
    credential, secret = weibo_credential

    def _run(*argv, key=credential.key_id, secret=secret):
        capsys.readouterr()
        code = host_client.main(["--url", live_server.url, "--key", key, "--secret", secret, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@live
def test_share_check_exits_0_when_allowed_and_1_when_denied(run):
    program = released_program()
    grant_for(program, "weibo.feed")
    argv = ["share-check", "--host", "weibo", "--appid", program.appid, "--scene", "weibo.feed", "--user", "wb-1"]

    allowed = run(*argv, "--share-id", "s-1")
    denied = run(*argv, "--share-id", "s-2")

    assert allowed[0] == 0 and json.loads(allowed[1]) == {"allow": True, "reason": "allowed", "retry_after": None}
    assert denied[0] == 1 and json.loads(denied[1])["reason"] == "share_cap"
    assert [a["share_id"] for a in gate_answers_drain(10)] == ["s-1", "s-2"]


@live
def test_share_check_runs_are_each_a_new_question_and_a_replay_says_so(run, monkeypatch):
    """An operator walk: two runs in one second signed the very same call, and the second printed the first's
    "allowed" under a cap of 1, unmarked (a replay)."""
    program = released_program()
    grant_for(program, "weibo.feed")
    argv = ["share-check", "--host", "weibo", "--appid", program.appid, "--scene", "weibo.feed", "--user", "wb-1"]
    stamp = int(time.time())
    monkeypatch.setattr(host_client, "HostClient", functools.partial(host_client.HostClient, clock=lambda: stamp))

    first, second = run(*argv), run(*argv)  # one second, no share id: each run draws its own
    assert (first[0], second[0]) == (0, 1) and json.loads(second[1])["reason"] == "share_cap"
    assert "replay" not in second[2]

    replayed = run(*argv, "--share-id", "s-1"), run(*argv, "--share-id", "s-1")  # the very same call twice
    assert [json.loads(out)["reason"] for _, out, _ in replayed] == ["share_cap", "share_cap"]
    assert replayed[0][2] == "" and replayed[1][2].startswith("A replay")


@live
def test_placements_prints_the_cards(run):
    grant = grant_for(released_program(name="Profile Bikes"), "weibo.profile")
    placement_for(grant, account_uid="1001")

    code, out, _ = run("placements", "--host", "weibo", "--scene", "weibo.profile", "--account", "1001")

    assert code == 0
    assert [c["name"] for c in json.loads(out)["cards"]] == ["Profile Bikes"]


@live
def test_generic_post_and_get_are_signed(run, tmp_path):
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"appid": "2099000000000000", "scene": "weibo.feed", "user": "u"}))

    posted = run("post", "/api/v1/hosts/weibo/share-checks/", f"@{body}")
    got = run("get", "/api/v1/hosts/weibo/placements/?scene=weibo.lottery&topic=x")

    assert (posted[0], json.loads(posted[1])["reason"]) == (0, "program_unknown")  # a generic post: 0 when answered
    assert (got[0], json.loads(got[1])["cards"]) == (0, [])


@live
def test_a_refused_call_exits_2_with_the_error(run):
    code, out, _ = run("get", "/api/v1/hosts/weibo/placements/?scene=weibo.lottery&topic=x", secret="hs_wrong")

    assert code == 2
    assert json.loads(out)["error"]["code"] == "invalid_signature"


def test_no_key_exits_2(capsys):
    assert host_client.main(["get", "/api/v1/hosts/weibo/placements/"]) == 2
    assert "--key" in capsys.readouterr().err


def test_an_unreachable_console_exits_3(capsys):
    code = host_client.main(["--url", "http://127.0.0.1:9", "--key", "k", "--secret", "s", "get", "/x"])

    assert code == 3


@pytest.mark.parametrize("command", [
    ["share-check", "--host", "weibo", "--appid", "2026000000000001", "--scene", "weibo.feed", "--user", "u1"],
    ["event", "--host", "weibo", "--appid", "2026000000000001", "--scene", "weibo.feed", "--user", "u1"],
])
def test_a_redirect_is_a_refusal_that_names_the_address_not_a_success(capsys, command):
    """A production console redirects http:// to https://: the client printed null and exited 0 (allowed!)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class RedirectToHttps(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            self.send_response(301)
            self.send_header("Location", f"https://console.example.com{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), RedirectToHttps)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = host_client.main(["--url", f"http://127.0.0.1:{server.server_port}", "--key", "k", "--secret", "s",
                                 *command])
    finally:
        server.shutdown()

    assert code == 2
    assert "HTTP 301: the console redirected to https://console.example.com/api/v1/hosts/weibo/" in capsys.readouterr().err


def test_the_client_signs_the_path_under_a_url_prefix_and_the_exact_body():
    sent = {}

    class Recorder(host_client.HostClient):
        def request(self, method, path, body=b"", *, timestamp=None):
            sent.update(method=method, path=self.base + path, body=body)
            return 200, {}, {}

    Recorder("https://gw.example.com/console/", "hk_1", "hs_s").post("/api/v1/hosts/weibo/share-checks/", {"a": 1})

    assert sent == {"method": "POST", "path": "/console/api/v1/hosts/weibo/share-checks/", "body": b'{"a":1}'}
    assert signature("hs_s", 1, "POST", sent["path"], sent["body"]).startswith("sha256=")


def test_the_client_and_signing_files_work_when_copied_out_of_the_repository(tmp_path):
    for name in ("client.py", "signing.py"):
        (tmp_path / name).write_text((ROOT / "hosts" / name).read_text())

    result = subprocess.run([sys.executable, "client.py", "--help"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=30)

    assert result.returncode == 0 and "share-check" in result.stdout
