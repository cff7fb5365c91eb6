"""Scanning a version: the service the Celery task calls, and the sweeper for lost scans.

The checks themselves are pure functions in programs/scanning/; this module
builds their config from the database, fetches the package from storage, stores
the report and moves the version through its lifecycle.
"""

import logging
import shutil
import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from console.exceptions import LimitReached, WrongState
from console.models import ApiKey
from hosts.selectors import size_limits_for_host
from programs.domains import host_of
from programs.lifecycle import TransitionConflict, TransitionError, version_transition
from programs.metrics import scan_observe
from programs.models import Version
from programs.notifications import notify_scan_finished
from programs.releases import prune_development_versions
from programs.scanning import ScanConfig, scan_package
from programs.selectors import privacy_declaration
from programs.uploads import upload_rate_wait

log = logging.getLogger(__name__)
S = Version.Status
PROGRESS_WRITE_STEP = 5  # percent; fewer writes while the scan advances
# A scan that finishes within this long writes no progress at all (the report says 100 %): a 2 MB
# package scans in milliseconds, and its twenty progress UPDATEs were most of the task's time.
PROGRESS_WRITE_SECONDS = 0.25


def scan_config_for(version: Version, *, host: str | None = None) -> ScanConfig:
    program = version.program
    prefixes = ApiKey.objects.filter(organisation=program.organisation_id).values_list("prefix", flat=True)
    return ScanConfig(
        host=None,
        allowed_domains={kind: [host_of(d) for d in entries] for kind, entries in program.domains().items()},
        size_limits=size_limits_for_host(host),
        time_limit_seconds=settings.SCAN_TIME_LIMIT_SECONDS,
        org_key_prefixes=[f"mpk_{p}_" for p in prefixes],
        privacy_declaration=privacy_declaration(program),
    )


def _claim(version_id: int) -> Version | None:
    """Take the version for scanning: from uploaded, or again from scanning after a lost worker."""
    version = Version.objects.select_related("program__organisation").filter(pk=version_id).first()
    if version is None or version.status not in (S.UPLOADED, S.SCANNING):
        return None  # already scanned: a duplicate delivery is a no-op
    changes = {"scan_started_at": timezone.now(), "scan_progress": 0, "scan_stage": "queued",
               "scan_attempts": version.scan_attempts + 1}
    if version.status == S.UPLOADED:
        version_transition(version, to=S.SCANNING, action="scan_start", changes=changes)
    else:
        Version.objects.filter(pk=version.pk).update(**changes)
    return version


class _ProgressWriter:
    def __init__(self, version_id: int):
        self.version_id, self.last = version_id, -PROGRESS_WRITE_STEP
        self.written_at = time.monotonic()  # the claim wrote progress 0

    def __call__(self, percent: int, stage: str) -> None:
        if percent - self.last < PROGRESS_WRITE_STEP or percent >= 100:
            return  # 100 % is written with the report
        self.last = percent
        if time.monotonic() - self.written_at >= PROGRESS_WRITE_SECONDS:
            Version.objects.filter(pk=self.version_id, status=S.SCANNING).update(
                scan_progress=percent, scan_stage=stage[:40]
            )
            self.written_at = time.monotonic()
        if settings.SCAN_STAGE_DELAY_SECONDS:
            time.sleep(settings.SCAN_STAGE_DELAY_SECONDS)


def _scan_file(version: Version, config: ScanConfig) -> dict:
    with tempfile.TemporaryDirectory(prefix="scan-") as folder:
        local = f"{folder}/package.zip"
        with version.package.open("rb") as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        return scan_package(local, config=config, progress=_ProgressWriter(version.pk)).to_dict()


def store_report(version: Version, report: dict) -> Version:
    """Record a finished scan: ready when it has no errors, scan_failed otherwise."""
    target = S.SCAN_FAILED if report["errors"] else S.READY
    changes = {
        "scan_report": report, "scan_progress": 100, "scan_stage": "done", "scan_finished_at": timezone.now(),
        "dialect": report.get("dialect") or "", "errors": report["errors"], "warnings": report["warnings"],
        "notices": report["notices"], "risk_score": (report.get("risk") or {}).get("score"),
    }
    note = {"errors": report["errors"], "warnings": report["warnings"], "risk": changes["risk_score"]}
    with transaction.atomic():
        version = version_transition(version, to=target, action="scan_finish", changes=changes, note=note)
        if target == S.READY:
            prune_development_versions(program=version.program)
        notify_scan_finished(version)
    scan_observe(version)
    return version


def version_scan(version_id: int) -> Version | None:
    """Scan one version end to end. Safe to call again for the same version."""
    version = _claim(version_id)
    if version is None:
        return None
    report = _scan_file(version, scan_config_for(version))
    version.refresh_from_db()
    if version.status != S.SCANNING:
        return version  # another delivery finished first
    return store_report(version, report)


REBUILD_PACKAGE = gettext_lazy(
    "The package itself cannot be scanned (an unsafe, damaged or oversized archive: see the error below), so "
    "scanning it again would fail the same way: rebuild it and upload it again (the version string can be reused).")


def package_must_be_rebuilt(version: Version) -> bool:
    """The scan failed on the archive itself (an error coded archive.*: a zip bomb, a corrupt, encrypted or unsafe
    file). No change to the program's settings helps: only a new package does."""
    report = version.scan_report if isinstance(version.scan_report, dict) else {}
    return any(isinstance(f, dict) and str(f.get("code", "")).startswith("archive.") and f.get("severity") == "error"
               for f in report.get("findings") or [])


def version_rescan(*, version: Version, actor=None, api_key=None) -> Version:
    """Scan a version whose scan failed again, with the same package: the errors may have come from the
    program's settings (a request domain not on its list, an API its privacy declaration leaves out), or
    from a scanner that gave up. Uploading the package again would only find it uploaded before."""
    from programs.tasks import scan_version

    if version.status != S.SCAN_FAILED:  # said in words, not as the transition table's "cannot become Uploaded"
        raise WrongState(_("Only a version whose scan failed can be scanned again; this one is “%(status)s”.") % {
            "status": version.get_status_display()})
    if package_must_be_rebuilt(version):
        raise WrongState(str(REBUILD_PACKAGE))
    _count_against_the_upload_limit(version.program.organisation)
    changes = {"scan_queued_at": timezone.now(), "scan_attempts": 0, "scan_progress": 0, "scan_stage": "queued"}
    version = version_transition(version, to=S.UPLOADED, actor=actor, api_key=api_key, action="rescan",
                                 changes=changes)
    scan_version.delay_on_commit(version.pk)
    return version


def _count_against_the_upload_limit(organisation) -> None:
    """A scan is what the hourly upload limit guards besides the transfer: scanning again counts as an upload,
    so a script looping on it cannot keep the scanners busy."""
    wait = upload_rate_wait(organisation)
    if wait:
        minutes = max(1, -(-wait // 60))
        raise LimitReached(ngettext(
            "Scanning again counts as an upload, and this organisation reached its limit of %(n)d an hour; try "
            "again in %(m)d minute.",
            "Scanning again counts as an upload, and this organisation reached its limit of %(n)d an hour; try "
            "again in %(m)d minutes.", minutes) % {"n": settings.PACKAGE_UPLOADS_PER_HOUR, "m": minutes})


def failure_report(code: str, message: str) -> dict:
    finding = {"code": code, "severity": "error", "message": message, "file": None, "line": None, "column": None}
    return {"dialect": None, "errors": 1, "warnings": 0, "notices": 0, "findings": [finding],
            "sizes": {}, "risk": {"score": 0, "breakdown": []}, "files": {}, "permissions": [], "domains": []}


def version_scan_timed_out(version_id: int) -> None:
    version = Version.objects.select_related("program__organisation").filter(pk=version_id, status=S.SCANNING).first()
    if version:
        message = f"The scan did not finish within {settings.SCAN_TIME_LIMIT_SECONDS} seconds."
        store_report(version, failure_report("scan.timeout", message))


def scans_requeue_stuck(*, now=None) -> list[int]:
    """Re-queue scans whose worker died (or whose message was lost); give up after SCAN_MAX_ATTEMPTS.

    A scan still 'scanning' well past the time limit cannot be running any more;
    an upload still 'uploaded' long after it was queued lost its message.
    """
    from programs.tasks import scan_version

    now = now or timezone.now()
    grace = timedelta(seconds=settings.SCAN_TIME_LIMIT_SECONDS + 60)
    stuck = Version.objects.select_related("program__organisation").filter(
        Q(status=S.SCANNING, scan_started_at__lt=now - grace)
        | Q(status=S.UPLOADED, scan_queued_at__lt=now - timedelta(minutes=5))
    )
    requeued = []
    for version in stuck:
        try:
            if version.scan_attempts >= settings.SCAN_MAX_ATTEMPTS:
                _give_up(version)
                continue
            if version.status == S.SCANNING:
                version_transition(version, to=S.UPLOADED, action="scan_requeue",
                                   changes={"scan_queued_at": now, "scan_stage": "requeued"})
            else:
                Version.objects.filter(pk=version.pk).update(scan_queued_at=now)
        except (TransitionError, TransitionConflict):
            continue  # it finished meanwhile
        scan_version.delay_on_commit(version.pk)
        requeued.append(version.pk)
    return requeued


def _give_up(version: Version) -> None:
    message = f"The scan failed {version.scan_attempts} times without finishing; upload the package again."
    store_report(version, failure_report("scan.gave_up", message))
    log.warning("gave up scanning version %s after %s attempts", version.pk, version.scan_attempts)
