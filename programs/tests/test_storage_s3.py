"""Storage on S3: packages and logos through an S3-compatible server (moto's in CI), with production's settings.

The fault reproduced: storage on S3 was configured but never exercised, so a wrong option (an ACL, an
addressing style, presigning) would first show in production. Skipped without S3_ENDPOINT_URL, required in CI.
"""

import hashlib

import pytest
import requests
from django.urls import reverse

from programs.demo import DOMAINS as SAMPLE_DOMAINS
from programs.models import Category, Version
from programs.samples import build_package
from programs.services import program_create, program_set_logo, program_set_privacy_declaration
from programs.tests.factories import image_bytes

PUBLIC = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture
def program(org, owner):
    program = program_create(org=org, actor=owner, name="Bucket Test", categories=[Category.objects.get(code="tools")],
                             domains=SAMPLE_DOMAINS)
    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Nearby stores"})
    return program


def _keys(s3) -> list[str]:
    return [item["Key"] for item in s3.client.list_objects_v2(Bucket=s3.bucket).get("Contents", [])]


def test_an_uploaded_package_is_stored_privately_in_the_bucket_and_scanned_from_it(
        s3, api_with_key, program, django_capture_on_commit_callbacks):
    data = build_package(dialect="alipay")
    with django_capture_on_commit_callbacks(execute=True):  # the scan (eager) downloads the package again
        response = api_with_key.post(reverse("api_versions", args=[program.appid]),
                                     {"package": _file(data), "version": "1.0.0", "description": "on S3"})

    assert response.status_code == 202, response.content
    version = Version.objects.get(program=program)
    assert version.status == Version.Status.READY, version.scan_report
    key = f"private/{version.package.name}"  # the private storage's own prefix
    stored = s3.client.get_object(Bucket=s3.bucket, Key=key)
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == version.package_sha256 == hashlib.sha256(data).hexdigest()
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
    assert [g for g in grants if g["Grantee"].get("URI") == PUBLIC] == [], "packages are never public"


def test_a_package_download_is_a_short_lived_presigned_redirect(s3, api_with_key, program,
                                                                django_capture_on_commit_callbacks):
    data = build_package(dialect="alipay")
    with django_capture_on_commit_callbacks(execute=True):
        body = api_with_key.post(reverse("api_versions", args=[program.appid]),
                                 {"package": _file(data), "version": "1.0.0", "description": ""}).json()

    response = api_with_key.get(body["package_url"])

    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{s3.endpoint}/{s3.bucket}/private/") and "X-Amz-Expires=60" in url
    assert requests.get(url, timeout=10).content == data
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403, "without the signature: refused"


def test_a_logo_is_stored_in_the_bucket_and_served_by_a_presigned_url(s3, api_with_key, program, owner):
    program_set_logo(program=program, actor=owner, data=image_bytes((300, 300)))

    program.refresh_from_db()
    assert {program.logo.name, program.logo_small.name} <= set(_keys(s3))
    url = api_with_key.get(reverse("api_program_detail", args=[program.appid])).json()["logo"]
    assert url.startswith(f"{s3.endpoint}/{s3.bucket}/logos/{program.appid}/")
    # SigV4 (found by this test: the settings presigned with SigV2, which newer AWS regions refuse).
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == s3.client.get_object(Bucket=s3.bucket, Key=program.logo.name)["Body"].read()
    assert fetched.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403, "without the signature: refused"


def test_the_health_check_writes_reads_and_deletes_in_the_bucket(s3, client, db):
    response = client.get(reverse("healthz"))

    storage = [state for name, state in response.json().items() if name.startswith("Storage")]
    assert storage == ["OK"]
    assert _keys(s3) == [], "the probe file is deleted"


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("app.zip", data, content_type="application/zip")
