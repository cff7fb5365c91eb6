"""`scan_package`: run the check families in order under a deadline and assemble the report.

The engine only orchestrates: each stage calls pure check functions and records what they return.
A fatal archive finding stops the scan (nothing after it can be trusted); a timeout anywhere becomes a
`scan.timeout` finding; an unexpected exception in one stage becomes `scan.internal_error` and the
other stages still run. Nothing outside the process's memory is touched.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .appjson import AppManifest, load_manifest
from .archive import Source, read_archive
from .code_risks import check_code
from .codes import new_finding
from .config import ScanConfig
from .deadline import Deadline, Progress, ProgressCallback, ScanTimeout
from .dialects import detect_layout
from .findings import Finding
from .images import check_images, check_tab_bar
from .jssource import Script, load_scripts
from .leaks import check_secrets
from .network import check_network
from .package import Package
from .prescan import Prescan
from .privacy import check_privacy
from .report import FileEntry, ScanReport
from .risk import assess_risk
from .sizes import Sizes, measure_sizes, shipped_names
from .structure import Theme, check_structure, check_theme

log = logging.getLogger(__name__)


@dataclass
class _Scan:
    """Everything the stages share while one scan runs."""

    config: ScanConfig
    deadline: Deadline
    progress: Progress
    package: Package = field(default_factory=lambda: Package({}))
    findings: list[Finding] = field(default_factory=list)
    stopped: bool = False
    theme: Theme = field(default_factory=Theme)
    scripts: list[Script] = field(default_factory=list)
    sizes: Sizes | None = None
    signals: set[str] = field(default_factory=set)
    permissions: list[str] = field(default_factory=list)
    personal_info: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    prescan: Prescan | None = None  # per-file results found while the archive was read

    @property
    def manifest(self) -> AppManifest | None:
        return self.package.app


def scan_package(source: Source, config: ScanConfig | None = None,
                 progress: ProgressCallback | None = None) -> ScanReport:
    """Scan a zip (path, bytes or binary file) and return its report; hostile input never raises."""
    config = config or ScanConfig()
    scan = _Scan(config, Deadline(config.time_limit_seconds), Progress(progress))
    try:
        _run_stages(scan, source)
    except ScanTimeout as timeout:
        scan.findings.append(new_finding(
            "scan.timeout",
            f"The scan stopped after {config.time_limit_seconds:g} s while checking {timeout.stage}."))
    report = _report(scan)
    scan.progress(100, "done")
    return report


def _run_stages(scan: _Scan, source: Source) -> None:
    _run_stage(scan, 0, "archive", lambda: _read(scan, source))
    for percent, stage, action in _CONTENT_STAGES:
        if scan.stopped:
            return
        _run_stage(scan, percent, stage, lambda action=action: action(scan))


def _run_stage(scan: _Scan, percent: int, stage: str, action: Callable[[], None]) -> None:
    scan.progress(percent, stage)
    scan.deadline.stage = stage
    scan.deadline.check()
    try:
        action()
    except ScanTimeout:
        raise
    except Exception:  # noqa: BLE001 - one broken check must not lose the rest of the report
        log.exception("Scan stage %s failed", stage)
        scan.findings.append(new_finding(
            "scan.internal_error", f"The {stage} checks failed unexpectedly; the package was not fully checked."))
        scan.stopped = scan.stopped or stage == "archive"


def _read(scan: _Scan, source: Source) -> None:
    scan.prescan = Prescan(scan.config)
    result = read_archive(source, scan.config, scan.deadline, scan.progress.span(1, 40, "archive"), scan.prescan)
    scan.package = Package(result.members)
    scan.findings += result.findings
    scan.stopped = result.stopped


def _structure(scan: _Scan) -> None:
    package = scan.package
    layout, findings = detect_layout(package, scan.config)
    package.dialect, package.base, package.root, package.project = (
        layout.dialect, layout.base, layout.root, layout.project)
    package.shipped = shipped_names(package)
    scan.findings += findings
    if layout.dialect is None or layout.root_missing:
        return  # without its root folder (an unbuilt dist/, say) the pages cannot be judged: one error says why
    package.app, findings = load_manifest(package, layout.dialect, scan.config)
    scan.findings += findings
    if package.app is not None:
        scan.theme, findings = check_theme(package, package.app, scan.config)
        scan.findings += findings + check_structure(package, package.app, layout.dialect)


def _sizes(scan: _Scan) -> None:
    scan.sizes, findings = measure_sizes(scan.package, scan.manifest, scan.config)
    scan.findings += findings


def _images(scan: _Scan) -> None:
    scan.findings += check_images(scan.package, scan.config)
    if scan.manifest is not None:
        scan.findings += check_tab_bar(scan.package, scan.manifest, scan.theme, scan.config)


def _privacy(scan: _Scan) -> None:
    scan.scripts = load_scripts(scan.package)
    result = check_privacy(scan.package, scan.scripts, scan.manifest, scan.package.dialect,
                           scan.config.privacy_declaration)
    scan.findings += result.findings
    scan.permissions = result.permissions
    scan.personal_info = result.personal_info
    scan.signals |= result.signals


def _network(scan: _Scan) -> None:
    result = check_network(scan.scripts, scan.package.dialect, scan.config)
    scan.findings += result.findings
    scan.domains = result.domains


def _code(scan: _Scan) -> None:
    scan.findings += check_code(scan.scripts, scan.package, scan.prescan.calls if scan.prescan else None)


def _secrets(scan: _Scan) -> None:
    scan.findings += check_secrets(scan.package, scan.config.org_key_prefixes,
                                   scan.prescan.secrets if scan.prescan else None)


_CONTENT_STAGES: list[tuple[int, str, Callable[[_Scan], None]]] = [
    (42, "structure", _structure),
    (55, "sizes", _sizes),
    (62, "images", _images),
    (75, "privacy", _privacy),
    (82, "network", _network),
    (90, "code", _code),
    (96, "secrets", _secrets),
]


def _report(scan: _Scan) -> ScanReport:
    findings = sorted(dict.fromkeys(scan.findings), key=lambda finding: finding.sort_key)
    package = scan.package
    return ScanReport(
        dialect=package.dialect.name if package.dialect else None,
        findings=_truncated(findings, scan.config.max_findings_per_code),
        sizes=scan.sizes or Sizes(main=None, full=None, limits=scan.config.limits_for(None)),  # not measured
        risk=assess_risk(findings, scan.signals, scan.domains, scan.sizes),
        files={name: FileEntry(member.size, member.sha256) for name, member in package.members.items()},
        permissions=scan.permissions,
        personal_info=scan.personal_info,
        root=package.root,
        pages=_page_count(package.app),
        domains=scan.domains,
        duration_ms=scan.deadline.elapsed_ms(),
    )


def _page_count(manifest: AppManifest | None) -> int:
    if manifest is None:
        return 0
    return len(manifest.pages) + sum(len(sub.pages) for sub in manifest.subpackages)


def _truncated(findings: list[Finding], per_code: int) -> list[Finding]:
    """Keep at most `per_code` findings of each code (a 5,000-entry archive of bad names stays readable)."""
    kept, counts = [], Counter()
    for finding in findings:
        counts[finding.code] += 1
        if counts[finding.code] <= per_code:
            kept.append(finding)
    for code, count in counts.items():
        if count > per_code:
            kept.append(new_finding("scan.findings_truncated", f"{count - per_code} more {code} findings not shown.",
                                    params={"count": count - per_code, "code": code}))
    return kept
