"""programs/cli.py, the CI client, run in-process (`main(argv)`) against a live server.

live_server serves from another thread, so the data must be committed: these tests are transactional
(serialized_rollback keeps the catalogs that migrations seed). Celery runs eagerly, so the scan is done
by the time the upload request has answered; `--wait` then needs one poll.
"""

import json
from pathlib import Path

import pytest

from programs import cli
from programs.demo import DOMAINS
from programs.models import Category, Version
from programs.samples import build_package
from programs.services import program_create, program_set_privacy_declaration

live = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _no_console_env(monkeypatch):
    monkeypatch.delenv("CONSOLE_URL", raising=False)
    monkeypatch.delenv("CONSOLE_API_KEY", raising=False)


@pytest.fixture
def program(org, owner):
    program = program_create(org=org, actor=owner, name="CLI Bikes", categories=[Category.objects.get(code="tools")],
                             domains=DOMAINS, description="Bikes from the command line.",
                             privacy_policy_url="https://bikes.example.com/privacy")
    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Nearby bikes"})
    return program


@pytest.fixture
def run(live_server, owner_key, capsys):
    """run(*argv, key=...) -> (exit code, stdout, stderr), against the live server with the owner's key."""

    def _run(*argv, key=owner_key[1]):
        capsys.readouterr()
        options = ["--url", live_server.url] + (["--key", key] if key else [])
        code = cli.main([*options, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def package(tmp_path):
    def _package(name="app.zip", **options) -> str:
        path = tmp_path / name
        path.write_bytes(build_package("alipay", **options))
        return str(path)

    return _package


@live
def test_upload_waits_for_a_clean_scan_then_the_same_package_is_recognised(run, program, package):
    path = package(code="\n// 1.0.0\n")
    code, out, err = run("upload", program.appid, path, "--version", "1.0.0", "--description", "First",
                         "--wait", "--interval", "0.05")
    assert code == 0, err
    assert "Uploaded app.zip as version 1.0.0" in out
    assert f"/api/v1/programs/{program.appid}/versions/1.0.0/" in out
    assert "Status: ready" in out
    assert "Scan report: 0 errors" in out
    assert "uploaded 0%" not in out  # the scan's progress, not the transfer's: it had not started
    version = Version.objects.get(program=program, version="1.0.0")
    assert (version.status, version.upload_method, version.description) == ("ready", "cli", "First")

    code, out, err = run("upload", program.appid, path, "--version", "1.0.0")
    assert code == 0, err  # asked for 1.0.0 and 1.0.0 is there: done
    assert "This exact package was uploaded before, as version 1.0.0 (status ready)" in out


@live
def test_the_same_package_under_another_version_string_is_not_done_and_says_what_to_do(run, program, package):
    path = package(code="\n// 1.0.0\n")
    assert run("upload", program.appid, path, "--version", "1.0.0")[0] == 0

    code, out, err = run("upload", program.appid, path, "--version", "1.0.1", "--wait", "--interval", "0.05")
    assert code == 2, (out, err)  # no version 1.0.1 exists: a `submit … 1.0.1` next would fail
    assert "This exact package was uploaded before, as version 1.0.0 (status ready); " in err
    assert "no version 1.0.1 was made" in err
    assert f"submit {program.appid} 1.0.0" in err and "change the package" in err
    assert "Scan report" not in out  # nothing was waited for
    assert not program.versions.filter(version="1.0.1").exists()


@live
def test_a_broken_package_fails_the_wait_and_prints_the_finding(run, program, package):
    path = package(code='\neval("1");\n')
    code, out, err = run("upload", program.appid, path, "--version", "2.0.0", "--wait", "--interval", "0.05")
    assert code == 1, (out, err)
    assert "Status: scan_failed" in out
    finding = next(line for line in out.splitlines() if "[code.eval]" in line)
    file, line, column = finding.split(": ")[0].split(":")
    assert file.endswith(".js") and line.isdigit() and column.isdigit()
    assert ": error [code.eval] " in finding

    code, out, err = run("upload", program.appid, path, "--version", "2.0.1")
    assert code == 2, (out, err)  # nothing to submit: the package must change
    assert "as version 2.0.0, and its scan failed; no version 2.0.1 was made" in err
    assert f"status {program.appid} 2.0.0" in err and "submit" not in err
    assert run("status", program.appid, "2.0.0")[0] == 1  # as the exit codes say: the scan failed
    assert run("status", program.appid, "2.0.0", "--json")[0] == 1


@live
def test_a_scan_failed_on_the_programs_domains_passes_after_adding_the_domain_and_rescan(run, program, package, owner):
    from programs.services import program_update

    path = package(code="\nmy.request({ url: 'https://api.partner.example.net/rides' });\n")
    assert run("upload", program.appid, path, "--version", "4.0.0", "--wait", "--interval", "0.05")[0] == 1
    code, _, err = run("upload", program.appid, path, "--version", "4.0.1")
    assert code == 2 and f"rescan {program.appid} 4.0.0 --wait" in err
    assert run("rescan", program.appid, "4.0.0")[0] == 0  # queued; its scan fails again, as nothing changed
    domains = program.domains()
    program_update(program=program, actor=owner,
                   domains={**domains, "request": [*domains["request"], "https://api.partner.example.net"]})

    code, out, err = run("rescan", program.appid, "4.0.0", "--wait", "--interval", "0.05")

    assert code == 0, (out, err)
    assert "Scanning 4.0.0 again" in out and "Status: ready" in out


@live
def test_submit_and_status(run, program, package):
    assert run("upload", program.appid, package(code="\n// 3.0.0\n"), "--version", "3.0.0")[0] == 0

    code, out, err = run("submit", program.appid, "3.0.0", "--notes", "Log in as demo", "--test-account", "demo/1")
    assert code == 0, err
    assert "Submitted 3.0.0 for review: in_review" in out
    version = Version.objects.get(program=program, version="3.0.0")
    assert (version.status, version.submit_notes, version.test_account) == ("in_review", "Log in as demo", "demo/1")

    # A CI job retrying after a timeout whose first try went through: done, not a failure.
    code, out, err = run("submit", program.appid, "3.0.0")
    assert code == 0, err
    assert "3.0.0 is in review already (an earlier try went through): nothing to do." in out

    code, out, err = run("status", program.appid)
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["VERSION", "STATUS", "SCAN"]
    assert out.splitlines()[1].split()[:3] == ["3.0.0", "in_review", "0E"]

    code, out, _ = run("status", program.appid, "3.0.0")
    assert code == 0
    assert "Version 3.0.0: in_review" in out and "scan: done" in out and "Scan report: 0 errors" in out

    code, out, _ = run("status", program.appid, "3.0.0", "--json")
    assert code == 0
    assert json.loads(out)["status"] == "in_review"
    code, out, _ = run("status", program.appid, "--json")
    assert [v["version"] for v in json.loads(out)["results"]] == ["3.0.0"]


@live
def test_submitting_a_version_that_is_not_ready_prints_the_apis_message(run, program, package):
    path = package(code='\neval("1");\n')
    assert run("upload", program.appid, path, "--version", "4.0.0")[0] == 0
    code, _, err = run("submit", program.appid, "4.0.0")
    assert code == 2
    assert err.startswith("error: HTTP 409: Only a development version"), err
    assert "non_field_errors" not in err  # a refusal because of the state, not a field error


@live
def test_field_errors_are_printed(run, program, package):
    assert run("upload", program.appid, package("a.zip", code="// a"), "--version", "5.0.0")[0] == 0
    code, _, err = run("upload", program.appid, package("b.zip", code="// b"), "--version", "5.0.0")
    assert code == 2
    assert "HTTP 400: Some fields are not valid." in err
    assert "\n  version: " in err and "5.0.0" in err  # the API's field errors, one line per field


@live
def test_a_wrong_key_exits_2_with_the_apis_message(run, program, live_server, capsys):
    code, out, err = run("status", program.appid, key="mpk_nope_0123456789")
    assert code == 2 and out == ""
    assert "HTTP 401" in err or "HTTP 403" in err
    assert "This API key is not valid or has been revoked." in err
    # --url and --key may also follow the command
    assert cli.main(["status", program.appid, "--url", live_server.url, "--key", "mpk_nope"]) == 2
    assert "This API key is not valid" in capsys.readouterr().err


@live
def test_an_unknown_appid_exits_2_and_says_no_such_program(run, owner_key, package):
    code, _, err = run("status", "2099000000000000")
    assert code == 2
    assert "HTTP 404: No program 2099000000000000 visible to this key" in err
    code, _, err = run("upload", "2099000000000000", package(), "--version", "1.0.0")
    assert code == 2
    assert "HTTP 404: No program 2099000000000000 visible to this key" in err
    code, _, err = run("submit", "2099000000000000", "1.0.0")
    assert (code, err.count("No program 2099000000000000")) == (2, 1)


@live
def test_an_unknown_version_exits_2_and_says_which_version(run, program):
    for argv in (("status", program.appid, "1.0.2"), ("submit", program.appid, "1.0.2")):
        code, _, err = run(*argv)
        assert code == 2
        assert f"HTTP 404: No version 1.0.2 of program {program.appid}" in err
        assert f"status {program.appid}" in err  # how to list the versions there are


def test_a_missing_key_exits_2_and_says_how_to_set_it(capsys):
    assert cli.main(["--url", "http://127.0.0.1:9", "status", "2025000000000001"]) == 2
    assert "CONSOLE_API_KEY" in capsys.readouterr().err


def test_the_key_and_url_come_from_the_environment_and_an_unreachable_console_exits_3(monkeypatch, capsys):
    monkeypatch.setenv("CONSOLE_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setenv("CONSOLE_API_KEY", "mpk_x")
    assert cli.main(["status", "2025000000000001"]) == 3
    assert "Cannot reach the console at http://127.0.0.1:9" in capsys.readouterr().err


def test_a_missing_package_file_exits_2(tmp_path, capsys):
    assert cli.main(["--key", "k", "upload", "1", str(tmp_path / "nope.zip"), "--version", "1"]) == 2
    assert "No such package file" in capsys.readouterr().err


def test_waiting_gives_up_after_the_timeout_with_exit_3(capsys):
    class StillScanning:
        calls = 0

        def get(self, url):
            self.calls += 1
            return {"version": "1.0.0", "status": "scanning", "scan": {"progress": 40, "stage": "code"}}

        def url(self, *parts):
            return "http://console.test/"

    client = StillScanning()
    with pytest.raises(cli.CliError) as raised:
        cli.wait_for_scan(client, "http://console.test/", client.get(""), timeout=0.05, interval=0.01, out=None)
    assert raised.value.exit_code == 3 and "Timed out" in raised.value.message
    assert client.calls > 1
    assert "scanning 40% (code)" in capsys.readouterr().out


def test_the_multipart_body_streams_the_file_with_the_declared_length(tmp_path):
    path = tmp_path / "pkg.zip"
    path.write_bytes(b"PK" + bytes(range(256)) * 1000)
    chunks, length, content_type = cli.multipart_body({"version": "1.0.0", "method": "cli"}, "package", path)
    parts = list(chunks)
    assert len(parts) > 3  # the file came in several chunks, not read at once
    body = b"".join(parts)
    assert len(body) == length
    boundary = content_type.split("boundary=")[1]
    assert body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="package"; filename="pkg.zip"\r\nContent-Type: application/zip' in body
    assert path.read_bytes() in body


def test_the_file_has_no_project_or_django_imports():
    source = Path(cli.__file__).read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "django" in line or "programs" in line or "console" in line]


def test_a_report_without_measured_sizes_says_so_instead_of_zero_bytes():
    import io

    out = io.StringIO()
    cli.print_report({"report": {"errors": 1, "warnings": 0, "notices": 0,
                                 "sizes": {"main": None, "subpackages": {}, "full": None, "limits": {"full": 1}},
                                 "findings": []}}, out)
    assert "Sizes: not measured (the archive could not be read)" in out.getvalue()
    assert "MB" not in out.getvalue() and "KB" not in out.getvalue()


# ------------------------------------------------------------------ answers the live server does not give today


@pytest.fixture
def fake_console():
    """A console that answers every request with the response set in `answer` (status, JSON body, headers)."""
    import http.server
    import threading

    answer = {"status": 200, "body": {}, "headers": {}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps(answer["body"]).encode()
            self.send_response(answer["status"])
            for name, value in {"Content-Type": "application/json", **answer["headers"]}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    answer["url"] = f"http://127.0.0.1:{server.server_port}"
    yield answer
    server.shutdown()
    server.server_close()


def fake_run(console, *argv, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["--url", console["url"], "--key", "mpk_x", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_conflict_409_is_a_refusal_like_a_400(fake_console, capsys):
    fake_console.update(status=409, body={"error": {"code": "version_not_ready", "fields": {},
                                                    "message": "Only a development version can be submitted."}})
    code, out, err = fake_run(fake_console, "submit", "2025000000000001", "1.0.0", capsys=capsys)
    assert (code, out) == (2, "")
    assert "HTTP 409: Only a development version can be submitted." in err


def test_an_extra_field_in_the_upload_answer_changes_nothing(fake_console, tmp_path, capsys):
    path = tmp_path / "app.zip"
    path.write_bytes(build_package("alipay"))
    same = {"version": "1.0.1", "status": "ready", "url": "http://console.test/v/1.0.1/", "requested_version": "1.0.1"}
    fake_console.update(status=200, body=same)
    code, out, err = fake_run(fake_console, "upload", "2025000000000001", str(path), "--version", "1.0.1",
                              capsys=capsys)
    assert code == 0, err
    assert "This exact package was uploaded before, as version 1.0.1 (status ready)" in out

    fake_console.update(body={**same, "requested_version": "1.0.2", "version_differs": True})
    code, out, err = fake_run(fake_console, "upload", "2025000000000001", str(path), "--version", "1.0.2",
                              capsys=capsys)
    assert code == 2
    assert "as version 1.0.1 (status ready); no version 1.0.2 was made" in err


def test_a_429_exits_4_retry_later_with_the_servers_retry_after(fake_console, capsys):
    fake_console.update(status=429, headers={"Retry-After": "900"},
                        body={"error": {"code": "locked_out", "message": "Too many failed attempts.", "fields": {}}})
    code, out, err = fake_run(fake_console, "status", "2025000000000001", capsys=capsys)
    assert (code, out) == (4, "")
    assert "HTTP 429: Too many failed attempts." in err
    assert "Retry after 900 seconds (15 minutes)." in err

    fake_console["headers"] = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}  # a date, long past
    code, _, err = fake_run(fake_console, "status", "2025000000000001", capsys=capsys)
    assert code == 4 and "Retry after 0 seconds." in err
    fake_console["headers"] = {}  # no Retry-After: the exit code still says "later", the API's message says why
    code, _, err = fake_run(fake_console, "status", "2025000000000001", capsys=capsys)
    assert code == 4 and err.strip().endswith("HTTP 429: Too many failed attempts.")


@live
def test_the_hourly_upload_limit_exits_4(run, program, package, settings):
    settings.PACKAGE_UPLOADS_PER_HOUR = 1
    assert run("upload", program.appid, package("a.zip", code="// a"), "--version", "6.0.0")[0] == 0
    code, _, err = run("upload", program.appid, package("b.zip", code="// b"), "--version", "6.0.1")
    assert code == 4
    assert "HTTP 429: This organisation reached its limit of 1 upload attempt an hour" in err
    assert "Retry after 3600 seconds" in err or "Retry after 3599 seconds" in err  # the server's Retry-After


def test_counts_are_plural_only_when_not_one():
    import io

    out = io.StringIO()
    cli.print_report({"report": {"errors": 1, "warnings": 2, "notices": 0, "findings": [],
                                 "sizes": {"main": 700, "subpackages": {"sub/": 3 * 1024 * 1024}, "full": 2048}}}, out)
    assert out.getvalue().splitlines()[0] == "Scan report: 1 error, 2 warnings, 0 notices"
    assert out.getvalue().splitlines()[1] == "Sizes: main 0.7 KB, full 2.0 KB, subpackages: sub/ 3.00 MB"


def test_a_version_waiting_for_its_scan_reads_as_queued_not_as_a_stalled_transfer(capsys):
    answers = iter([{"version": "1.0.0", "status": "scanning", "scan": {"progress": 40, "stage": "code"}},
                    {"version": "1.0.0", "status": "ready", "scan": {"progress": 100, "done": True}}])

    class Console:
        def get(self, url):
            return next(answers)

    uploaded = {"version": "1.0.0", "status": "uploaded", "scan": {"progress": 0, "stage": ""}}
    version = cli.wait_for_scan(Console(), "http://console.test/", uploaded, timeout=5, interval=0, out=None)
    assert version["status"] == "ready"
    assert capsys.readouterr().out.splitlines() == ["  … queued for scanning", "  … scanning 40% (code)"]
    out = __import__("io").StringIO()
    cli.print_version(uploaded, out)
    assert "  scan: queued" in out.getvalue().splitlines()


def test_runs_in_place_with_nothing_but_the_standard_library():
    """`python programs/cli.py` put programs/ on the path, where programs/selectors.py (which needs Django) stood in
    for the standard library's selectors: the CLI died with "No module named 'django'" outside the project's venv."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    # -S: no site-packages, as a CI image with a bare Python has none of the project's libraries.
    done = subprocess.run([sys.executable, "-S", "programs/cli.py", "--help"], cwd=root, capture_output=True,
                          text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "usage: cli.py" in done.stdout
