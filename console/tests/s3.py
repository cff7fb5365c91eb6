"""The `s3` fixture: default storage on an S3-compatible server, in a bucket of the test's own.

Uses the server that S3_ENDPOINT_URL names (.ci/run starts moto's S3 server on 127.0.0.1), with the
S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY / S3_REGION of the environment, through the same storage settings
production uses (console.settings.s3_storage). Without S3_ENDPOINT_URL a test using it is skipped with a
line saying how to run it; with CI=true it fails instead, so CI cannot lose its S3 run silently.
Loaded as a plugin by the root conftest.py.
"""

import os
import uuid
from types import SimpleNamespace

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture
def s3(settings):
    endpoint = os.environ.get("S3_ENDPOINT_URL")
    if not endpoint:
        message = ("S3 storage tests need an S3-compatible server: set S3_ENDPOINT_URL "
                   "(e.g. `.venv/bin/moto_server -p 9300` and S3_ENDPOINT_URL=http://127.0.0.1:9300)")
        if _in_ci():
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    import boto3

    from console.settings import s3_private_storage, s3_storage

    bucket = f"test-{uuid.uuid4().hex[:16]}"
    options = s3_storage(bucket)["OPTIONS"]
    client = boto3.client("s3", endpoint_url=endpoint, region_name=options["region_name"] or "us-east-1",
                          aws_access_key_id=options["access_key"], aws_secret_access_key=options["secret_key"])
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(bucket), "private": s3_private_storage(bucket)}
    yield SimpleNamespace(client=client, bucket=bucket, endpoint=endpoint)
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
