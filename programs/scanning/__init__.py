"""Package scanning: pure Python over a zip archive and a config (no Django, no ORM, no settings).

    from programs.scanning import scan_package, ScanConfig

    report = scan_package("app.zip", config=ScanConfig(host="alipay"), progress=lambda pct, stage: ...)
    report.has_errors, report.to_dict()

The `scanpackage` management command, the Celery worker and the tests all call `scan_package`.
One module per check family: `archive` (+ `zipreader`), `dialects`/`appjson`/`structure`, `sizes`,
`images`, `privacy`, `network` (+ `domains`), `code_risks`, `leaks`, `risk`; `jssource` is what the
code checks share; `engine` runs them. `codes` is the registry of finding codes and `docs` renders
docs/finding-codes.md from it (`python -m programs.scanning.docs > docs/finding-codes.md`).
"""

from .codes import FINDING_CODES, RISK_SIGNALS, FindingCode
from .config import ScanConfig
from .engine import scan_package
from .findings import Finding, Severity
from .report import FileEntry, ScanReport

__all__ = [
    "FINDING_CODES",
    "RISK_SIGNALS",
    "FileEntry",
    "Finding",
    "FindingCode",
    "ScanConfig",
    "ScanReport",
    "Severity",
    "scan_package",
]
