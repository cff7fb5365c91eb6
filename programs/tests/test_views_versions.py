"""Portal pages for versions: the browser upload endpoint, the version page with its report, live progress."""

import pytest
from django.test import Client
from django.urls import reverse

from programs.models import Version
from programs.samples import build_package, raw_zip
from programs.tests.factories import VersionFactory, scannable_program, upload, zipped
from programs.views.versions import suggested_next_version


def _scanner_missing() -> str:
    try:
        import programs.tasks  # noqa: F401  (imports programs.scans, which imports the scanner)
        from programs.scanning import scan_package  # noqa: F401
    except ImportError as exc:
        return f"programs.scanning.scan_package is not importable yet ({exc}); uploads queue a scan through it"
    return ""


needs_scanner = pytest.mark.skipif(bool(_scanner_missing()), reason=_scanner_missing() or "scanner ready")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def program(org):
    return scannable_program(org, name="City Bikes")


def upload_url(org, program):
    return reverse("version_upload_page", args=[org.slug, program.appid])


def version_url(org, program, version):
    return reverse("version_detail", args=[org.slug, program.appid, version])


REPORT = {
    "dialect": "alipay", "errors": 1, "warnings": 2, "notices": 1, "duration_ms": 42,
    "findings": [
        {"code": "network.not_allowed", "severity": "error", "message": "api.evil.example is not on the allowlist",
         "file": "pages/index/index.js", "line": 12, "column": 5},
        {"code": "tabbar.icon_size", "severity": "warning", "message": "Icon is 120×120",
         "file": "images/home.png", "line": None, "column": None},
        {"code": "code.eval", "severity": "warning", "message": "eval() is used",
         "file": "pages/index/index.js", "line": 3, "column": 1},
        {"code": "privacy.declared_unused", "severity": "notice", "message": "location declared but unused",
         "file": None, "line": None, "column": None},
    ],
    "sizes": {"main": 3 * 1024 * 1024, "subpackages": {"packageA/": 512 * 1024}, "full": 3_670_016,
              "limits": {"main": 2 * 1024 * 1024, "subpackage": 2 * 1024 * 1024, "full": 8 * 1024 * 1024}},
    "risk": {"score": 35, "breakdown": [{"code": "code.eval", "weight": 25, "reason": "eval() in code"},
                                        {"code": "signal.location", "weight": 10, "reason": "uses location"}]},
    "files": 12, "permissions": ["scope.userLocation"], "domains": ["api.evil.example"],
}


@pytest.fixture
def scanned(program):
    return VersionFactory(program=program, version="1.0.0", status=Version.Status.SCAN_FAILED, scan_report=REPORT,
                          errors=1, warnings=2, notices=1, risk_score=35, dialect="alipay", scan_progress=100)


# ---------------------------------------------------------------- the upload page and endpoint


@pytest.mark.parametrize("highest, suggested", [
    ("", "1.0.0"), ("1.0.2", "1.0.3"), ("1.2.3-beta.1", "1.2.4"), ("2.9", "2.10"), ("1.0.0+build.7", "1.0.1"),
])
def test_the_upload_form_suggests_the_next_version(highest, suggested):
    assert suggested_next_version(highest) == suggested


def test_upload_page_hints_the_version_to_exceed_and_loads_the_script(client_for, member, org, program):
    VersionFactory(program=program, version="1.2.0", status=Version.Status.READY)
    VersionFactory(program=program, version="2.0.0", status=Version.Status.SCAN_FAILED)

    html = client_for(member).get(upload_url(org, program)).content.decode()

    assert "Must be higher than <code>1.2.0</code>" in html, "a failed scan does not burn its version string"
    assert 'placeholder="1.2.1"' in html, "the placeholder suggests the next version, not one the form refuses"
    assert 'accept=".zip,application/zip"' in html
    assert "js/upload.js" in html
    assert "<script>" not in html and "onclick" not in html and "onsubmit" not in html, "CSP: no inline script"
    assert f'data-max-bytes="{org.package_upload_limit}"' in html


@needs_scanner
def test_browser_upload_stores_a_version_and_answers_json(client_for, member, org, program,
                                                          django_capture_on_commit_callbacks):
    data = build_package("alipay")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(upload_url(org, program), {
            "package": upload(data), "version": "1.0.0", "description": "First"}, **JSON)

    version = program.versions.get()
    assert response.status_code == 201
    assert response.json() == {"version": "1.0.0", "status": "uploaded", "created": True,
                               "url": version_url(org, program, "1.0.0")}
    assert (version.upload_method, version.uploaded_by, version.description) == ("browser", member, "First")
    assert version.package_size == len(data)
    assert version.status == Version.Status.READY, "the eager scan ran after commit"


@needs_scanner
def test_browser_upload_without_javascript_redirects_to_the_version_page(client_for, member, org, program,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(upload_url(org, program), {
            "package": upload(build_package("wechat")), "version": "0.1.0"})

    assert response.status_code == 302
    assert response.url == version_url(org, program, "0.1.0")
    page = client_for(member).get(response.url)
    assert "Version 0.1.0 uploaded" in page.content.decode()


@needs_scanner
def test_the_same_package_again_opens_the_existing_version(client_for, member, org, program,
                                                          django_capture_on_commit_callbacks):
    data = build_package("alipay")
    client = client_for(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(upload_url(org, program), {"package": upload(data), "version": "1.0.0"}, **JSON)
        response = client.post(upload_url(org, program), {"package": upload(data), "version": "1.0.1"}, **JSON)

    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["version"] == "1.0.0"
    assert program.versions.count() == 1


def test_a_lower_version_is_refused_with_the_error_on_the_field(client_for, member, org, program):
    VersionFactory(program=program, version="2.0.0", status=Version.Status.READY)

    response = client_for(member).post(upload_url(org, program), {
        "package": upload(b"PK\x05\x06" + b"\0" * 18), "version": "1.9.9"}, **JSON)

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": "The version must be higher than 2.0.0.",
                                         "fields": {"version": ["The version must be higher than 2.0.0."]}}}
    assert program.versions.count() == 1


def test_a_file_that_is_no_zip_is_refused_on_the_form_and_makes_no_version(client_for, member, org, program):
    response = client_for(member).post(upload_url(org, program), {
        "package": upload(b"just some text\n", name="notes.txt"), "version": "1.0.0"})

    assert response.status_code == 400
    assert "This file is not a zip archive (or it was cut short)" in response.content.decode()
    assert not program.versions.exists()


def test_a_refused_plain_form_post_keeps_what_was_typed(client_for, member, org, program):
    VersionFactory(program=program, version="2.0.0", status=Version.Status.READY)

    response = client_for(member).post(upload_url(org, program), {
        "package": upload(zipped(b"zip")), "version": "1.0", "description": "Keep me"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "The version must be higher than 2.0.0." in html
    assert 'value="1.0"' in html and "Keep me" in html


def test_missing_package_and_version_are_reported_per_field(client_for, member, org, program):
    response = client_for(member).post(upload_url(org, program), {"description": "x"}, **JSON)

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"package", "version"}


def test_an_oversize_upload_gets_413_with_the_limit_in_the_message(client_for, member, org, program):
    org.max_package_bytes = 1024 * 1024
    org.save()

    response = client_for(member).post(upload_url(org, program), {
        "package": upload(b"x" * (1024 * 1024 + 1)), "version": "1.0.0"}, **JSON)

    assert response.status_code == 413
    message = "The package is larger than this organisation's upload limit of 1 MB."
    assert response.json() == {"error": {"code": "package_too_large", "message": message,
                                         "fields": {"package": [message]}}}
    assert not program.versions.exists()


def test_an_oversize_plain_form_post_gets_413_and_the_message_under_the_field(client_for, member, org, program):
    org.max_package_bytes = 1024 * 1024
    org.save()

    response = client_for(member).post(upload_url(org, program), {
        "version": "3.1.4", "package": upload(b"x" * (3 * 1024 * 1024))})

    html = response.content.decode()
    assert response.status_code == 413
    assert "upload limit of 1 MB" in html
    assert not program.versions.exists()


def test_an_oversize_body_within_the_declared_length_slack_is_cut_off_by_the_handler(client_for, member, org, program):
    org.max_package_bytes = 10_000
    org.save()

    response = client_for(member).post(upload_url(org, program), {
        "version": "3.1.4", "package": upload(b"x" * 20_000)}, **JSON)

    assert response.status_code == 413
    assert not program.versions.exists()


def test_the_upload_endpoint_checks_the_csrf_token(member, org, program):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    refused = client.post(upload_url(org, program), {"package": upload(b"zip"), "version": "bad version"}, **JSON)
    token = client.get(upload_url(org, program)).context["csrf_token"]
    accepted = client.post(upload_url(org, program), {"package": upload(b"zip"), "version": "bad version"},
                           HTTP_X_CSRFTOKEN=str(token), **JSON)

    assert refused.status_code == 403
    assert accepted.status_code == 400, "past the CSRF check, the version string is what is refused"
    assert "version" in accepted.json()["error"]["fields"]


# ---------------------------------------------------------------- the version page and its report


def test_version_page_shows_package_facts(client_for, member, org, program):
    version = VersionFactory(program=program, version="1.0.0", uploaded_by=member,
                             upload_method=Version.UploadMethod.API, status=Version.Status.READY, scan_report=REPORT)

    html = client_for(member).get(version_url(org, program, "1.0.0")).content.decode()

    assert version.package_sha256 in html
    assert 'data-copy="sha256"' in html
    assert "dev@acme.test" in html and ">API<" in html


def test_version_report_shows_counts_risk_sizes_and_findings(client_for, member, org, program, scanned):
    response = client_for(member).get(version_url(org, program, "1.0.0"))

    html = response.content.decode()
    assert [(s, n) for s, _label, n in response.context["counts"]] == [("error", 1), ("warning", 2), ("notice", 1)]
    assert response.context["risk_score"] == 35
    assert "eval() in code" in html and "+25" in html
    bars = {bar.label: (bar.over, bar.percent, bar.width) for bar in response.context["size_bars"]}
    assert bars == {"Main package": (True, 150, 100), "Subpackage packageA/": (False, 25, 25),
                    "Full package": (False, 44, 44)}
    assert html.count('class="size-bar over"') == 1
    assert "Over the limit" in html
    assert reverse("finding_codes") + "#network.not_allowed" in html
    assert "pages/index/index.js:12:5" in html
    assert "scope.userLocation" in html and "api.evil.example" in html
    assert "hx-trigger" not in html, "a finished scan is not polled"


def test_findings_are_grouped_by_severity_then_file(client_for, member, org, program, scanned):
    groups = client_for(member).get(version_url(org, program, "1.0.0")).context["groups"]

    shape = [(g.severity, [(f.file, [x["code"] for x in f.findings]) for f in g.files]) for g in groups]
    assert shape == [
        ("error", [("pages/index/index.js", ["network.not_allowed"])]),
        ("warning", [("images/home.png", ["tabbar.icon_size"]), ("pages/index/index.js", ["code.eval"])]),
        ("notice", [("", ["privacy.declared_unused"])]),
    ]


@pytest.mark.parametrize("params, codes", [
    ({"severity": "warning"}, ["tabbar.icon_size", "code.eval"]),
    ({"q": "index.js"}, ["network.not_allowed", "code.eval"]),
    ({"q": "EVAL"}, ["code.eval"]),
    ({"severity": "error", "q": "eval"}, []),
    ({"severity": "bogus"}, ["network.not_allowed", "tabbar.icon_size", "code.eval", "privacy.declared_unused"]),
])
def test_findings_filter_by_severity_and_text(client_for, member, org, program, scanned, params, codes):
    response = client_for(member).get(version_url(org, program, "1.0.0"), params)

    shown = [x["code"] for g in response.context["groups"] for f in g.files for x in f.findings]
    assert shown == codes


def test_a_report_with_missing_keys_still_renders(client_for, member, org, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.SCAN_FAILED, errors=1,
                   scan_report={"errors": 1, "findings": [{"code": "scan.timeout", "severity": "error",
                                                           "message": "Too slow"}], "sizes": {}})

    response = client_for(member).get(version_url(org, program, "1.0.0"))

    assert response.status_code == 200
    assert response.context["size_bars"] == []
    assert "Too slow" in response.content.decode()


# ---------------------------------------------------------------- live progress


def test_while_scanning_the_page_polls_the_progress_partial(client_for, member, org, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.SCANNING, scan_progress=40,
                   scan_stage="structure")
    client = client_for(member)
    progress_url = reverse("version_progress", args=[org.slug, program.appid, "1.0.0"])

    page = client.get(version_url(org, program, "1.0.0")).content.decode()
    partial = client.get(progress_url).content.decode()

    for html in (page, partial):
        assert f'hx-get="{progress_url}"' in html
        assert 'hx-trigger="every 1s"' in html
        assert "width: 40%" in html
        assert "Reading the project structure" in html
    assert "<html" not in partial


def test_the_progress_partial_stops_polling_and_shows_the_report_when_done(client_for, member, org, program,
                                                                          scanned):
    partial = client_for(member).get(reverse("version_progress", args=[org.slug, program.appid, "1.0.0"]))

    html = partial.content.decode()
    assert "hx-trigger" not in html
    assert 'id="version-state"' in html
    assert "network.not_allowed" in html
    assert "step-failed" in html
    # The head's buttons come along out of band: "Browse the code" appeared only after a reload.
    code_url = reverse("version_code", args=[org.slug, program.appid, "1.0.0"])
    assert f'id="page-actions" hx-swap-oob="true"><a class="btn" href="{code_url}">Browse the code</a>' in html


def test_while_scanning_the_partial_leaves_the_heads_buttons_alone(client_for, member, org, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.SCANNING)

    partial = client_for(member).get(reverse("version_progress", args=[org.slug, program.appid, "1.0.0"]))

    assert "hx-swap-oob" not in partial.content.decode()


def test_lifecycle_strip_follows_the_status(client_for, member, org, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.IN_REVIEW, scan_report=REPORT)

    steps = client_for(member).get(version_url(org, program, "1.0.0")).context["steps"]

    assert [(s.label, s.state) for s in steps] == [
        ("Uploaded", "done"), ("Scanning", "done"), ("Ready", "done"), ("In review", "current"),
        ("Approved", "todo"), ("Released", "todo")]


@needs_scanner
def test_a_package_the_scan_could_not_open_shows_no_package_sizes(client_for, member, org, program,
                                                                  django_capture_on_commit_callbacks):
    """"Main package 0 bytes / 2.0 MB" beside "Not a zip archive" read as a measured, empty package. (A file that
    is no zip is refused at upload now; an empty archive still stops the scan at the archive.)"""
    with django_capture_on_commit_callbacks(execute=True):
        client_for(member).post(upload_url(org, program), {"package": upload(raw_zip([])), "version": "0.2.0"})

    page = client_for(member).get(version_url(org, program, "0.2.0"))

    assert "archive.empty" in page.content.decode()
    assert page.context["size_bars"] == []
    assert "The scan stopped before it could measure the package." in page.content.decode()
