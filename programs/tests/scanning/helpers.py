"""Small helpers shared by the scanning tests (no Django here, on purpose)."""

from __future__ import annotations

from programs.samples import ALLOWED_DOMAINS, build_package, package_files
from programs.scanning import Finding, ScanConfig, ScanReport, scan_package


def scan(data: bytes, **config) -> ScanReport:
    return scan_package(data, config=ScanConfig(**config))


def scan_built(dialect: str = "alipay", config: dict | None = None, **options) -> ScanReport:
    """Build a package with `build_package` options and scan it with the example allowlist."""
    settings = {"allowed_domains": ALLOWED_DOMAINS, **(config or {})}
    return scan(build_package(dialect, **options), **settings)


# `with_code` appends after the builder's app.js and a blank line, so the code starts on this line.
APPENDED_CODE_LINE = package_files("alipay")["app.js"].decode().count("\n") + 2


def with_code(code: str) -> dict:
    """build_package options appending `code` to app.js, starting on APPENDED_CODE_LINE."""
    return {"code": "\n" + code + "\n"}


def findings_with(report: ScanReport, code: str) -> list[Finding]:
    return [finding for finding in report.findings if finding.code == code]


def only(report: ScanReport, code: str) -> Finding:
    found = findings_with(report, code)
    assert len(found) == 1, f"expected one {code}, got {report.findings}"
    return found[0]


def error_codes(report: ScanReport) -> set[str]:
    return {finding.code for finding in report.findings if finding.severity.value == "error"}
