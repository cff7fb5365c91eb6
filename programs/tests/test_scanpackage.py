"""`python manage.py scanpackage PATH [--host HOST] [--format text|json]`: a linter for packages."""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hosts.models import Host, PackageSizeLimit
from programs.samples import build_package, package_files

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|notice) "
                  r"\[(?P<code>[a-z_]+\.[a-z_]+)\] (?P<message>.+)$")


@pytest.fixture
def package(tmp_path):
    def _write(data: bytes, name: str = "app.zip") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return _write


def scan(path: str, *args) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("scanpackage", path, *args, stdout=out)
    return exc.value.code, out.getvalue()


def test_a_valid_package_exits_0_with_a_summary(db, package):
    code, out = scan(package(build_package("wechat")))
    assert code == 0
    assert out.splitlines()[-1].startswith("wechat package: 0 errors, 0 warnings, 0 notices, risk ")
    # Sizes as the CLI writes them: KB under 1 MB, never "0.00 MB".
    assert re.search(r"^sizes: main \d+\.\d KB, full \d+\.\d KB, subpackages: packageA/ \d+\.\d KB$", out, re.M)


def test_a_file_that_is_not_a_zip_has_no_sizes_to_print(db, package):
    code, out = scan(package(b"just some text, not an archive", "notes.zip"))
    assert code == 1
    assert "[archive.not_zip]" in out
    assert "sizes: not measured (the archive could not be read)" in out.splitlines()
    assert "0.00 MB" not in out

    code, out = scan(package(b"just some text", "notes.zip"), "--format", "json")
    sizes = json.loads(out)["sizes"]
    assert (sizes["main"], sizes["full"], sizes["subpackages"]) == (None, None, {})


def test_json_output_has_the_report_keys(db, package):
    code, out = scan(package(build_package("alipay")), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert {"dialect", "errors", "warnings", "notices", "findings", "sizes", "risk"} <= set(report)
    assert (report["dialect"], report["errors"], report["findings"]) == ("alipay", 0, [])
    assert set(report["sizes"]) >= {"main", "subpackages", "full"}


def test_a_package_with_errors_exits_1_and_lists_them_in_json(db, package):
    code, out = scan(package(build_package("alipay", code="\neval(userInput);\n")), "--format", "json")
    report = json.loads(out)
    assert code == 1
    eval_finding = next(f for f in report["findings"] if f["code"] == "code.eval")
    assert (eval_finding["severity"], eval_finding["file"]) == ("error", "app.js")
    assert isinstance(eval_finding["line"], int) and eval_finding["line"] > 1
    assert report["errors"] == sum(1 for f in report["findings"] if f["severity"] == "error")


def test_text_format_prints_one_linter_line_per_finding(db, package):
    code, out = scan(package(build_package("alipay", code="\neval(userInput);\n")))
    assert code == 1
    findings = [m.groupdict() for m in map(LINE.match, out.splitlines()) if m]
    eval_line = next(f for f in findings if f["code"] == "code.eval")
    assert (eval_line["file"], eval_line["severity"]) == ("app.js", "error")
    app_js = package_files("alipay", code="\neval(userInput);\n")["app.js"]
    assert b"eval(userInput)" in app_js.splitlines()[int(eval_line["line"]) - 1]
    assert re.search(r": 1 error, \d+ warnings?, \d+ notices?, risk ", out.splitlines()[-1])


def test_a_finding_without_a_location_names_the_package(db, package):
    path = package(b"not a zip at all", "broken.zip")
    code, out = scan(path)
    assert code == 1
    assert out.splitlines()[0] == f"{path}: error [archive.not_zip] The file is not a zip archive."


def test_host_limits_from_the_database_apply_with_host(db, package):
    PackageSizeLimit.objects.create(dialect="alipay", host=Host.objects.get(code="weibo"), main_bytes=5000,
                                    subpackage_bytes=5000, full_bytes=20000)
    path = package(build_package("alipay"))
    assert scan(path)[0] == 0
    code, out = scan(path, "--host", "weibo", "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert "size.main_too_large" in {f["code"] for f in report["findings"]}
    assert report["sizes"]["limits"]["main"] == 5000


def test_an_unknown_host_is_a_clear_error(db, package):
    with pytest.raises(CommandError, match=r"Unknown host 'nowhere'; known hosts: .*weibo"):
        call_command("scanpackage", package(build_package("alipay")), "--host", "nowhere")


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("scanpackage", str(tmp_path / "missing.zip"))


def test_the_real_command_exits_1_with_parseable_json_for_a_package_with_errors(tmp_path):
    """As CI would run it: a process of its own, with no database at hand (the built-in limits apply)."""
    bad = tmp_path / "bad.zip"
    bad.write_bytes(build_package("alipay", app_json='["not an object"]'))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}", "VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run([sys.executable, "manage.py", "scanpackage", str(bad), "--format", "json"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert "structure.app_json_not_object" in {f["code"] for f in report["findings"]}
    assert report["errors"] >= 1


TRACKER = "\nmy.request({url: 'https://tracker.evil-ads.com/t', data: {}});\n"


def test_without_allowlists_the_output_says_the_domain_allowlist_was_not_checked(db, package):
    path = package(build_package("alipay", code=TRACKER))
    code, out = scan(path)
    assert code == 0  # nothing else is wrong with it; the server would still refuse tracker.evil-ads.com
    note = next(line for line in out.splitlines() if line.startswith("not checked: "))
    assert "domain allowlist" in note and "--request-domain" in note
    assert "[network.not_allowed]" not in out

    code, out = scan(path, "--format", "json")
    unchecked = {item["check"]: item for item in json.loads(out)["not_checked"]}
    assert "--request-domain" in unchecked["network.allowlist"]["how"]


def test_allowlists_given_as_options_run_the_servers_network_check(db, package):
    path = package(build_package("alipay", code=TRACKER))  # the sample also calls api.example.com and ws.example.com
    sample_domains = ["--request-domain", "https://api.example.com", "--upload-domain", "https://api.example.com",
                      "--download-domain", "api.example.com", "--socket-domain", "wss://ws.example.com"]
    code, out = scan(path, *sample_domains, "--format", "json")
    report = json.loads(out)
    assert code == 1
    refused = [f for f in report["findings"] if f["code"] == "network.not_allowed"]
    assert [f["severity"] for f in refused] == ["error"]
    assert refused[0]["message"].startswith("tracker.evil-ads.com is not on the request domain allowlist")
    assert "network.allowlist" not in {item["check"] for item in report["not_checked"]}

    code, out = scan(path, *sample_domains, "--request-domain", "tracker.evil-ads.com")
    assert code == 0, out
    assert "[network.not_allowed]" not in out and "domain allowlist" not in out


def test_kinds_left_out_allow_nothing_as_on_the_server(db, package):
    upload = "\nmy.uploadFile({url: 'https://api.example.com/photos', filePath: 'a', fileName: 'f'});\n"
    code, out = scan(package(build_package("alipay", code=upload)), "--request-domain", "https://api.example.com")
    assert code == 1
    assert "[network.not_allowed] api.example.com is not on the upload domain allowlist" in out


def test_an_allowlist_entry_the_console_would_refuse_is_a_clear_error(db, package):
    with pytest.raises(CommandError, match=r"--socket-domain: .*must use wss://"):
        call_command("scanpackage", package(build_package("alipay")), "--socket-domain", "https://ws.example.com")


def test_scanpackage_and_the_cli_write_sizes_alike(db, package):
    from programs import cli

    code, out = scan(package(build_package("wechat")), "--format", "json")
    sizes = json.loads(out)["sizes"]
    code, out = scan(package(build_package("wechat")))
    expected = (f"sizes: main {cli.format_size(sizes['main'])}, full {cli.format_size(sizes['full'])}, "
                f"subpackages: packageA/ {cli.format_size(sizes['subpackages']['packageA/'])}")
    assert expected in out.splitlines()
