"""Shaping a stored scan report (Version.scan_report) and a version's state for the pages.

Presentation only: grouping, filtering and bar widths. The report is read defensively
(missing keys, None values) because reports of older scanner versions stay stored.
"""

from dataclasses import dataclass, field

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from programs.models import Version, personal_info_label
from programs.scanning.messages import localized_breakdown, localized_finding

S = Version.Status
SEVERITIES = ("error", "warning", "notice")
SEVERITY_LABELS = {"error": gettext_lazy("Errors"), "warning": gettext_lazy("Warnings"),
                   "notice": gettext_lazy("Notices")}
STAGE_LABELS = {
    "": gettext_lazy("Waiting for a scanner…"), "queued": gettext_lazy("Waiting for a scanner…"),
    "requeued": gettext_lazy("Restarting the scan…"), "archive": gettext_lazy("Checking the archive"),
    "structure": gettext_lazy("Reading the project structure"), "sizes": gettext_lazy("Measuring package sizes"),
    "tabbar": gettext_lazy("Checking the tabBar"), "images": gettext_lazy("Checking images"),
    "privacy": gettext_lazy("Checking privacy declarations"), "network": gettext_lazy("Checking network domains"),
    "code": gettext_lazy("Looking for code risks"), "secrets": gettext_lazy("Looking for leaked secrets"),
    "risk": gettext_lazy("Computing the risk score"), "done": gettext_lazy("Finished"),
}


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize()))


# ---------------------------------------------------------------- lifecycle strip


@dataclass
class Step:
    label: str
    state: str  # done, current, failed, todo


# The main road of SPEC §3, with short labels (the status badge carries the full one).
ROAD = [
    (S.UPLOADED, gettext_lazy("Uploaded")), (S.SCANNING, gettext_lazy("Scanning")),
    (S.READY, gettext_lazy("Ready")), (S.IN_REVIEW, gettext_lazy("In review")),
    (S.APPROVED, gettext_lazy("Approved")), (S.RELEASED, gettext_lazy("Released")),
]
# Where the other statuses leave the road: (the step they follow, their own step's label, its state).
SIDE_ROADS = {
    S.SCAN_FAILED: (S.SCANNING, gettext_lazy("Scan failed"), "failed"),
    S.REJECTED: (S.IN_REVIEW, gettext_lazy("Rejected"), "failed"),
    S.SUPERSEDED: (S.RELEASED, gettext_lazy("Superseded"), "current"),
    S.ROLLED_BACK: (S.RELEASED, gettext_lazy("Rolled back"), "failed"),
}


def _road(current: int) -> list[Step]:
    return [Step(str(label), "done" if i < current else "current" if i == current else "todo")
            for i, (_status, label) in enumerate(ROAD)]


def lifecycle_steps(version: Version) -> list[Step]:
    """The road from upload to release with the version's place on it; a version that left the road
    (scan failed, rejected, superseded, rolled back) ends with a step of its own."""
    statuses = [status for status, _label in ROAD]
    status = version.status
    if status == S.PHASED:
        steps = _road(statuses.index(S.RELEASED))
        steps[-1].label = _("Phased release · %(p)s%%") % {"p": version.phased_percentage}
        return steps
    if status in SIDE_ROADS:
        after, label, state = SIDE_ROADS[status]
        at = statuses.index(after)
        return [Step(s.label, "done") for s in _road(at)[: at + 1]] + [Step(str(label), state)]
    return _road(statuses.index(status))


# ---------------------------------------------------------------- findings


@dataclass
class FileGroup:
    file: str
    findings: list[dict] = field(default_factory=list)


@dataclass
class SeverityGroup:
    severity: str
    label: str
    count: int
    files: list[FileGroup]


def _matches(finding: dict, severity: str, query: str) -> bool:
    if severity and finding.get("severity") != severity:
        return False
    if not query:
        return True
    haystack = " ".join(str(finding.get(k) or "") for k in ("code", "file", "message")).lower()
    return query.lower() in haystack


def _position(finding: dict) -> tuple:
    return (finding.get("line") or 0, finding.get("column") or 0, finding.get("code") or "")


def group_findings(findings: list[dict]) -> list[SeverityGroup]:
    """By severity (errors first), then by file (package-wide findings first), then by position."""
    groups = []
    for severity in SEVERITIES:
        of_severity = [f for f in findings if f.get("severity") == severity]
        if not of_severity:
            continue
        files: dict[str, FileGroup] = {}
        for finding in sorted(of_severity, key=lambda f: (f.get("file") or "", *_position(f))):
            name = finding.get("file") or ""
            files.setdefault(name, FileGroup(name)).findings.append(finding)
        groups.append(SeverityGroup(severity, str(SEVERITY_LABELS[severity]), len(of_severity), list(files.values())))
    return groups


# ---------------------------------------------------------------- sizes


@dataclass
class SizeBar:
    label: str
    size: int
    limit: int | None

    @property
    def over(self) -> bool:
        return bool(self.limit) and self.size > self.limit

    @property
    def percent(self) -> int:
        """Share of the limit used, as shown in words (may exceed 100)."""
        return round(self.size * 100 / self.limit) if self.limit else 0

    @property
    def width(self) -> int:
        """The bar's fill, capped at the track's width."""
        return min(100, self.percent) if self.limit else 100


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# An archive the scanner could not open has no sizes to show: "Main package 0 bytes / 2.0 MB" beside "Not a zip
# archive" read as a measured, empty package. The scanner now reports such sizes as null (not measured); reports
# stored before that still hold zeros, hence this check by finding as well.
UNREADABLE_ARCHIVE = {"archive.not_zip", "archive.corrupt", "archive.encrypted"}


def _unreadable(findings: list) -> bool:
    return any(isinstance(f, dict) and f.get("code") in UNREADABLE_ARCHIVE for f in findings)


def size_bars(sizes: dict) -> list[SizeBar]:
    if not isinstance(sizes, dict) or _int(sizes.get("full")) is None:
        return []
    limits = sizes.get("limits") if isinstance(sizes.get("limits"), dict) else {}
    bars = []
    if _int(sizes.get("main")) is not None:
        bars.append(SizeBar(_("Main package"), sizes["main"], _int(limits.get("main"))))
    subpackages = sizes.get("subpackages") if isinstance(sizes.get("subpackages"), dict) else {}
    for root, size in sorted(subpackages.items()):
        if _int(size) is not None:
            bars.append(SizeBar(_("Subpackage %(root)s") % {"root": root}, size, _int(limits.get("subpackage"))))
    bars.append(SizeBar(_("Full package"), sizes["full"], _int(limits.get("full"))))
    return bars


# ---------------------------------------------------------------- the whole report


def _label(item) -> str:
    if isinstance(item, dict):
        return str(item.get("name") or item.get("host") or item.get("scope") or item)
    return str(item)


def _strings(value) -> list[str]:
    """Permissions or domains as display strings, whether stored as a list or as a {kind: [...]} dict."""
    if isinstance(value, dict):
        return [f"{kind}: {_label(item)}" for kind, items in value.items()
                for item in (items if isinstance(items, list) else [items])]
    if isinstance(value, list | tuple):
        return [_label(item) for item in value]
    return []


def report_context(version: Version, *, severity: str = "", query: str = "") -> dict:
    report = version.scan_report if isinstance(version.scan_report, dict) else {}
    language = get_language()
    findings = [localized_finding(f, language) for f in report.get("findings") or [] if isinstance(f, dict)]
    shown = [f for f in findings if _matches(f, severity, query)]
    risk = report.get("risk") if isinstance(report.get("risk"), dict) else {}
    return {
        "report": report,
        "counts": [(s, SEVERITY_LABELS[s], _int(report.get(f"{s}s")) or 0) for s in SEVERITIES],
        "groups": group_findings(shown),
        "shown_count": len(shown),
        "total_count": len(findings),
        "size_bars": size_bars(report.get("sizes")) if not _unreadable(findings) else [],
        "risk_score": risk.get("score", version.risk_score),
        "risk_breakdown": [localized_breakdown(b, language) for b in risk.get("breakdown") or [] if isinstance(b, dict)],
        "permissions": _strings(report.get("permissions")),
        "personal_info": [personal_info_label(kind) for kind in _strings(report.get("personal_info"))],
        "domains": _strings(report.get("domains")),
        "filtering": bool(severity or query),
    }


def version_state_context(version: Version, *, severity: str = "", query: str = "") -> dict:
    """Everything the live part of the version page needs (the htmx partial renders the same)."""
    context = {"version": version, "steps": lifecycle_steps(version), "stage_label": stage_label(version.scan_stage)}
    if version.scan_done:
        context.update(report_context(version, severity=severity, query=query))
    return context
