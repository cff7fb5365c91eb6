"""Scan orchestration (programs/scans.py): config from the database, storing reports, idempotence, the sweeper."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from console.models import AuditEvent
from console.tests.factories import ApiKeyFactory
from hosts.models import Host, PackageSizeLimit
from hosts.selectors import size_limits_for_host
from programs import scans
from programs.models import Version
from programs.samples import build_package
from programs.scanning.config import MB
from programs.tests.factories import VersionFactory, scan_tasks, scannable_program

S = Version.Status
MISSING_PAGE = {"pages": ["pages/index/index", "pages/profile/profile", "pages/ghost/ghost"]}


@pytest.fixture
def program(org):
    return scannable_program(org, name="Acme Maps")


_serial = itertools.count()


def _version(program, data: bytes | None = None, **fields) -> Version:
    """A version of a valid Alipay package (each one different) unless `data` is given."""
    data = data or build_package("alipay", code=f"\n// build {next(_serial)}\n")
    return VersionFactory(program=program, package_bytes=data, **fields)


def _report(errors=0, warnings=0, notices=0, risk=7) -> dict:
    findings = [{"code": "x.error", "severity": "error", "message": "bad", "file": "app.js", "line": 1, "column": 2}
                ] * errors
    return {"dialect": "alipay", "errors": errors, "warnings": warnings, "notices": notices, "findings": findings,
            "sizes": {"main": 10, "subpackages": {}, "full": 10}, "risk": {"score": risk, "breakdown": []}}


def _actions(version) -> list[str]:
    events = AuditEvent.objects.filter(target_type="programs.version", target_id=str(version.pk))
    return list(events.order_by("created_at").values_list("action", flat=True))


# ---------------------------------------------------------------- store_report


def test_a_report_without_errors_makes_the_version_ready(program):
    version = _version(program, status=S.SCANNING)
    scans.store_report(version, _report(warnings=2, notices=1, risk=12))
    row = Version.objects.get(pk=version.pk)
    assert row.status == S.READY
    assert (row.errors, row.warnings, row.notices, row.risk_score, row.dialect) == (0, 2, 1, 12, "alipay")
    assert (row.scan_progress, row.scan_stage) == (100, "done")
    assert row.scan_finished_at is not None
    assert row.scan_report["sizes"]["main"] == 10
    event = AuditEvent.objects.get(action="version.scan_finish")
    assert event.after == {"status": "ready", "errors": 0, "warnings": 2, "risk": 12}


def test_a_report_with_errors_makes_the_version_scan_failed(program):
    version = _version(program, status=S.SCANNING)
    scans.store_report(version, _report(errors=2))
    row = Version.objects.get(pk=version.pk)
    assert (row.status, row.errors) == (S.SCAN_FAILED, 2)
    assert len(row.scan_report["findings"]) == 2


def test_a_report_for_a_version_that_is_not_scanning_is_refused(program):
    version = _version(program, status=S.READY)
    with pytest.raises(scans.TransitionError):
        scans.store_report(version, _report(errors=1))
    assert Version.objects.get(pk=version.pk).status == S.READY


# ---------------------------------------------------------------- version_scan


def test_version_scan_takes_an_upload_to_ready(program):
    version = _version(program)
    scans.version_scan(version.pk)
    row = Version.objects.get(pk=version.pk)
    assert (row.status, row.errors, row.dialect, row.scan_attempts) == (S.READY, 0, "alipay", 1)
    assert row.scan_started_at <= row.scan_finished_at
    assert row.scan_report["sizes"]["full"] > 0
    assert _actions(version) == ["version.scan_start", "version.scan_finish"]


def _progress_writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith('UPDATE "programs_version" SET "scan_progress"')]


def test_a_fast_scan_writes_no_progress_rows_before_its_report(program):
    """Twenty progress UPDATEs were most of a 2 MB package's scan task; a scan that quick writes none."""
    version = _version(program)
    with CaptureQueriesContext(connection) as queries:
        scans.version_scan(version.pk)
    progress_writes = _progress_writes(queries)
    assert progress_writes == []
    assert Version.objects.get(pk=version.pk).scan_progress == 100


def test_a_slow_scan_still_reports_its_progress(program, settings, monkeypatch):
    settings.SCAN_STAGE_DELAY_SECONDS = 0.03  # a scan of about half a second
    monkeypatch.setattr(scans, "PROGRESS_WRITE_SECONDS", 0.02)
    version = _version(program)
    with CaptureQueriesContext(connection) as queries:
        scans.version_scan(version.pk)
    progress_writes = _progress_writes(queries)
    assert len(progress_writes) >= 3
    assert Version.objects.get(pk=version.pk).status == S.READY


def test_version_scan_of_a_broken_package_is_scan_failed(program):
    version = _version(program, build_package("alipay", app_json=MISSING_PAGE))
    scans.version_scan(version.pk)
    row = Version.objects.get(pk=version.pk)
    assert row.status == S.SCAN_FAILED
    assert "structure.page_missing_template" in {f["code"] for f in row.scan_report["findings"]}


def test_version_scan_is_a_no_op_for_an_already_scanned_version(program):
    version = _version(program)
    scans.version_scan(version.pk)
    first = Version.objects.get(pk=version.pk)
    assert scans.version_scan(version.pk) is None
    again = Version.objects.get(pk=version.pk)
    assert (again.status, again.scan_attempts, again.scan_finished_at) == (
        S.READY, 1, first.scan_finished_at)
    assert _actions(version) == ["version.scan_start", "version.scan_finish"]


@pytest.mark.parametrize("status", [S.SCAN_FAILED, S.IN_REVIEW, S.RELEASED])
def test_version_scan_leaves_finished_versions_alone(program, status):
    version = _version(program, status=status)
    assert scans.version_scan(version.pk) is None
    assert Version.objects.get(pk=version.pk).status == status
    assert _actions(version) == []


def test_version_scan_of_a_missing_version_is_a_no_op(db):
    assert scans.version_scan(987654) is None


def test_a_redelivered_scan_of_a_version_still_scanning_finishes_it(program):
    """The worker died mid-scan; the message comes back (acks_late) and the scan runs again."""
    version = _version(program, status=S.SCANNING, scan_attempts=1, scan_started_at=timezone.now())
    scans.version_scan(version.pk)
    row = Version.objects.get(pk=version.pk)
    assert (row.status, row.scan_attempts) == (S.READY, 2)


def test_the_programs_allowlist_reaches_the_scan(program):
    program.request_domains = []
    program.save()
    version = _version(program)
    scans.version_scan(version.pk)
    row = Version.objects.get(pk=version.pk)
    assert row.status == S.SCAN_FAILED
    assert {f["code"] for f in row.scan_report["findings"] if f["severity"] == "error"} == {"network.not_allowed"}


def test_the_size_limits_in_the_database_reach_the_scan(program):
    PackageSizeLimit.objects.filter(dialect="alipay", host=None).update(main_bytes=5000)
    version = _version(program)
    scans.version_scan(version.pk)
    row = Version.objects.get(pk=version.pk)
    assert row.status == S.SCAN_FAILED
    assert "size.main_too_large" in {f["code"] for f in row.scan_report["findings"]}
    assert row.scan_report["sizes"]["limits"]["main"] == 5000


def test_a_timed_out_scan_is_scan_failed_with_a_clear_finding(program, settings):
    settings.SCAN_TIME_LIMIT_SECONDS = 7
    version = _version(program, status=S.SCANNING)
    scans.version_scan_timed_out(version.pk)
    row = Version.objects.get(pk=version.pk)
    assert row.status == S.SCAN_FAILED
    [finding] = row.scan_report["findings"]
    assert finding["code"] == "scan.timeout"
    assert "7 seconds" in finding["message"]


def test_a_timeout_after_the_scan_finished_changes_nothing(program):
    version = _version(program, status=S.READY)
    scans.version_scan_timed_out(version.pk)
    assert Version.objects.get(pk=version.pk).status == S.READY


# ---------------------------------------------------------------- scans_requeue_stuck


@pytest.fixture
def long_ago(settings):
    return timezone.now() - timedelta(seconds=settings.SCAN_TIME_LIMIT_SECONDS + 61)


def test_a_scan_stuck_past_the_time_limit_is_requeued(program, long_ago):
    stuck = _version(program, status=S.SCANNING, scan_started_at=long_ago, scan_attempts=1)
    now = timezone.now()
    assert scans.scans_requeue_stuck(now=now) == [stuck.pk]
    row = Version.objects.get(pk=stuck.pk)
    assert (row.status, row.scan_stage, row.scan_queued_at) == (S.UPLOADED, "requeued", now)
    assert _actions(stuck) == ["version.scan_requeue"]


def test_a_requeued_scan_runs_again_when_the_sweep_commits(program, long_ago, django_capture_on_commit_callbacks):
    stuck = _version(program, status=S.SCANNING, scan_started_at=long_ago, scan_attempts=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scans.scans_requeue_stuck()
    assert len(scan_tasks(callbacks)) == 1
    row = Version.objects.get(pk=stuck.pk)
    assert (row.status, row.scan_attempts) == (S.READY, 2)


def test_an_upload_whose_message_was_lost_is_requeued(program):
    lost = _version(program, status=S.UPLOADED, scan_queued_at=timezone.now() - timedelta(minutes=6))
    now = timezone.now()
    assert scans.scans_requeue_stuck(now=now) == [lost.pk]
    assert Version.objects.get(pk=lost.pk).scan_queued_at == now


def test_a_rescan_whose_message_was_lost_or_whose_worker_died_is_swept_like_an_upload(program, owner, long_ago):
    """Scanning again goes the upload's way: queued with its time, so the sweeper finds it if nothing picks it up."""
    version = _version(program, status=S.SCAN_FAILED, scan_attempts=3)
    scans.version_rescan(version=version, actor=owner)  # its task message lost: no commit callbacks run here
    later = timezone.now() + timedelta(minutes=6)

    assert scans.scans_requeue_stuck(now=later) == [version.pk]
    assert Version.objects.get(pk=version.pk).scan_attempts == 0  # a fresh count: SCAN_MAX_ATTEMPTS applies anew


def test_recent_and_finished_scans_are_left_alone(program, long_ago):
    recent_scan = _version(program, status=S.SCANNING, scan_started_at=timezone.now() - timedelta(seconds=30))
    recent_upload = _version(program, status=S.UPLOADED, scan_queued_at=timezone.now() - timedelta(minutes=1))
    finished = [_version(program, status=status, scan_started_at=long_ago, scan_queued_at=long_ago)
                for status in (S.READY, S.SCAN_FAILED)]
    assert scans.scans_requeue_stuck() == []
    for version in (recent_scan, recent_upload, *finished):
        row = Version.objects.get(pk=version.pk)
        assert (row.status, row.scan_stage) == (version.status, version.scan_stage)
        assert _actions(version) == []


def test_the_sweeper_gives_up_after_the_maximum_attempts(program, long_ago, settings):
    settings.SCAN_MAX_ATTEMPTS = 3
    doomed = _version(program, status=S.SCANNING, scan_started_at=long_ago, scan_attempts=3)
    retried = _version(program, status=S.SCANNING, scan_started_at=long_ago, scan_attempts=2)
    assert scans.scans_requeue_stuck() == [retried.pk]
    row = Version.objects.get(pk=doomed.pk)
    assert row.status == S.SCAN_FAILED
    [finding] = row.scan_report["findings"]
    assert (finding["code"], finding["severity"]) == ("scan.gave_up", "error")
    assert "3 times" in finding["message"]
    assert Version.objects.get(pk=retried.pk).status == S.UPLOADED


def test_a_version_that_finishes_while_the_sweeper_runs_is_skipped(program, long_ago, monkeypatch):
    stuck = _version(program, status=S.SCANNING, scan_started_at=long_ago, scan_attempts=1)
    real_transition = scans.version_transition

    def finish_first(version, **kwargs):
        Version.objects.filter(pk=version.pk).update(status=S.READY)
        return real_transition(version, **kwargs)

    monkeypatch.setattr(scans, "version_transition", finish_first)
    assert scans.scans_requeue_stuck() == []
    assert Version.objects.get(pk=stuck.pk).status == S.READY


# ---------------------------------------------------------------- scan_config_for


def test_scan_config_carries_the_allowlist_hosts(org):
    program = scannable_program(org, name="Ports App", socket_domains=["wss://ws.example.com:9000"])
    config = scans.scan_config_for(_version(program))
    assert config.allowed_domains == {
        "request": ["api.example.com"], "upload": ["api.example.com"], "download": ["api.example.com"],
        "socket": ["ws.example.com:9000"],
    }


def test_scan_config_carries_the_orgs_api_key_prefixes_only(program, org, owner_key, other_org):
    ApiKeyFactory(organisation=org, prefix="aaaabbbbcccc")
    ApiKeyFactory(organisation=other_org, prefix="ffffeeeedddd")
    config = scans.scan_config_for(_version(program))
    assert sorted(config.org_key_prefixes) == sorted([f"mpk_{owner_key[0].prefix}_", "mpk_aaaabbbbcccc_"])


def test_scan_config_uses_the_time_limit_setting(program, settings):
    settings.SCAN_TIME_LIMIT_SECONDS = 42
    assert scans.scan_config_for(_version(program)).time_limit_seconds == 42


def test_scan_config_applies_a_hosts_size_limits(program):
    weibo = Host.objects.get(code="weibo")
    PackageSizeLimit.objects.create(dialect="alipay", host=weibo, main_bytes=1 * MB, subpackage_bytes=MB,
                                    full_bytes=4 * MB)
    version = _version(program)
    assert scans.scan_config_for(version, host="weibo").limits_for("alipay")["main"] == 1 * MB
    assert scans.scan_config_for(version).limits_for("alipay")["main"] == 2 * MB


# ---------------------------------------------------------------- hosts.selectors.size_limits_for_host


def test_the_default_limits_follow_the_spec(db):
    limits = size_limits_for_host(None)
    assert limits["alipay"] == {"main": 2 * MB, "subpackage": 2 * MB, "full": 8 * MB}
    assert limits["wechat"]["full"] == 30 * MB
    assert limits["douyin"] == {"main": 4 * MB, "subpackage": 2 * MB, "full": 16 * MB}


def test_a_hosts_row_overrides_only_its_dialect_and_only_for_that_host(db):
    weibo, taobao = Host.objects.get(code="weibo"), Host.objects.get(code="taobao")
    PackageSizeLimit.objects.create(dialect="alipay", host=weibo, main_bytes=MB, subpackage_bytes=MB,
                                    full_bytes=3 * MB)
    PackageSizeLimit.objects.create(dialect="alipay", host=taobao, main_bytes=3 * MB, subpackage_bytes=MB,
                                    full_bytes=5 * MB)
    on_weibo = size_limits_for_host("weibo")
    assert on_weibo["alipay"] == {"main": MB, "subpackage": MB, "full": 3 * MB}
    assert on_weibo["wechat"] == size_limits_for_host(None)["wechat"]
    assert size_limits_for_host("taobao")["alipay"]["main"] == 3 * MB
    assert size_limits_for_host(None)["alipay"]["main"] == 2 * MB
    assert size_limits_for_host("amap")["alipay"]["main"] == 2 * MB


def test_an_edited_default_row_is_what_scans_get(db):
    PackageSizeLimit.objects.filter(dialect="wechat", host=None).update(full_bytes=20 * MB)
    assert size_limits_for_host(None)["wechat"]["full"] == 20 * MB
