"""The scan report: what the worker stores and the API returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Finding, Severity
from .risk import RiskScore
from .sizes import Sizes


@dataclass(frozen=True)
class FileEntry:
    """One member of the manifest that version diffs compare."""

    size: int
    sha256: str


@dataclass
class ScanReport:
    dialect: str | None = None
    findings: list[Finding] = field(default_factory=list)
    sizes: Sizes = field(default_factory=Sizes)
    risk: RiskScore = field(default_factory=RiskScore)
    files: dict[str, FileEntry] = field(default_factory=dict)
    permissions: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    duration_ms: int = 0
    personal_info: list[str] = field(default_factory=list)  # personal-information kinds code uses
    root: str = ""  # the mini-program root folder inside the archive
    pages: int = 0  # pages of the main package and subpackages

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def notices(self) -> int:
        return self.count(Severity.NOTICE)

    @property
    def has_errors(self) -> bool:
        """Only errors block submission."""
        return self.errors > 0

    def codes(self) -> set[str]:
        return {finding.code for finding in self.findings}

    def to_dict(self) -> dict:
        return {
            "dialect": self.dialect,
            "errors": self.errors,
            "warnings": self.warnings,
            "notices": self.notices,
            "findings": [finding.to_dict() for finding in self.findings],
            "sizes": self.sizes.to_dict(),
            "risk": self.risk.to_dict(),
            "files": {name: {"size": entry.size, "sha256": entry.sha256} for name, entry in self.files.items()},
            "permissions": list(self.permissions),
            "domains": list(self.domains),
            "duration_ms": self.duration_ms,
            "personal_info": list(self.personal_info),
            "root": self.root,
            "pages": self.pages,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ScanReport:
        """Rebuild a stored report (e.g. to diff two versions' manifests)."""
        sizes = data.get("sizes", {})
        return cls(
            dialect=data.get("dialect"),
            findings=[Finding.from_dict(item) for item in data.get("findings", [])],
            sizes=Sizes(sizes.get("main"), dict(sizes.get("subpackages", {})), sizes.get("full"),
                        dict(sizes.get("limits", {}))),
            risk=RiskScore.from_dict(data.get("risk", {})),
            files={name: FileEntry(entry["size"], entry["sha256"]) for name, entry in data.get("files", {}).items()},
            permissions=list(data.get("permissions", [])),
            domains=list(data.get("domains", [])),
            duration_ms=data.get("duration_ms", 0),
            personal_info=list(data.get("personal_info", [])),
            root=data.get("root", ""),
            pages=data.get("pages", 0),
        )
