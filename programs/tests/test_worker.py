"""Scanning through a real broker and a real worker process, including a worker killed mid-scan.

These run against whatever broker the suite is configured with: Redis in CI,
the file-system transport on the embedded default.
"""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from programs.demo import DOMAINS as SAMPLE_DOMAINS
from programs.models import Category, Version
from programs.samples import build_package
from programs.scans import scans_requeue_stuck
from programs.services import program_create, program_set_privacy_declaration, version_upload
from programs.tests.worker import WorkerProcess, eager_again, real_broker, wait_for

pytestmark = [
    pytest.mark.worker,
    # serialized_rollback puts back the seeded catalogs (categories, hosts) that the flush removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.xdist_group("worker"),
]
S = Version.Status


@pytest.fixture
def broker():
    real_broker()
    yield
    eager_again()


@pytest.fixture
def program(org, owner):
    program = program_create(org=org, actor=owner, name="Worker Test", categories=[Category.objects.get(code="tools")],
                             domains=SAMPLE_DOMAINS)
    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Nearby stores"})
    return program


def _upload(program, owner, version="1.0.0", **package_options) -> Version:
    data = build_package(dialect="alipay", **package_options)
    package = SimpleUploadedFile("pkg.zip", data, content_type="application/zip")
    package.sha256 = hashlib.sha256(data).hexdigest()
    return version_upload(program=program, actor=owner, version=version, description="", package=package,
                          method=Version.UploadMethod.API).version


def _status(version) -> str:
    version.refresh_from_db()
    return version.status


def test_real_worker_scans_an_upload_to_ready(broker, program, owner):
    worker = WorkerProcess().start()
    try:
        version = _upload(program, owner)
        wait_for(lambda: _status(version) in (S.READY, S.SCAN_FAILED), timeout=60)
    finally:
        worker.stop()
    assert version.status == S.READY, version.scan_report
    assert version.scan_progress == 100
    assert version.dialect == "alipay"
    assert version.scan_report["sizes"]["full"] > 0
    assert "programs.tasks.scan_version[" in worker.output()


def test_worker_killed_mid_scan_is_requeued_and_finished_after_restart(broker, program, owner):
    slow = WorkerProcess(SCAN_STAGE_DELAY_SECONDS=0.5).start()
    version = _upload(program, owner)
    try:
        wait_for(lambda: _status(version) == S.SCANNING and version.scan_progress > 0, timeout=60, interval=0.05)
    finally:
        slow.kill()
    progress_when_killed = version.scan_progress
    assert _status(version) == S.SCANNING  # left behind by the dead worker

    # The beat sweeper, run as if the time limit had long passed, re-queues it.
    later = timezone.now() + timedelta(hours=1)
    assert scans_requeue_stuck(now=later) == [version.pk]
    assert _status(version) == S.UPLOADED

    fresh = WorkerProcess().start()
    try:
        wait_for(lambda: _status(version) in (S.READY, S.SCAN_FAILED), timeout=60)
    finally:
        fresh.stop()
    assert version.status == S.READY
    assert version.scan_attempts == 2
    assert 0 < progress_when_killed < 100


def test_scan_past_the_time_limit_fails_with_a_timeout_finding(broker, program, owner):
    worker = WorkerProcess(SCAN_STAGE_DELAY_SECONDS=2, SCAN_TIME_LIMIT_SECONDS=3).start()
    try:
        version = _upload(program, owner)
        wait_for(lambda: _status(version) in (S.READY, S.SCAN_FAILED), timeout=60)
    finally:
        worker.stop()
    assert version.status == S.SCAN_FAILED
    assert "scan.timeout" in [f["code"] for f in version.scan_report["findings"]]


def test_a_scan_given_up_after_the_attempt_limit_says_so(program, owner, settings):
    eager_again()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    version = _upload(program, owner)
    Version.objects.filter(pk=version.pk).update(status=S.SCANNING, scan_attempts=settings.SCAN_MAX_ATTEMPTS,
                                                 scan_started_at=timezone.now() - timedelta(hours=2))
    scans_requeue_stuck()
    version.refresh_from_db()
    assert version.status == S.SCAN_FAILED
    assert version.scan_report["findings"][0]["code"] == "scan.gave_up"
