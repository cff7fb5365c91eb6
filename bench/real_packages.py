"""Scan a folder of real mini-program zips and print what the scanner says about each.

    python bench/real_packages.py FOLDER              # one row per package
    python bench/real_packages.py FOLDER --findings   # and every error and warning under its row

The packages are public open-source mini-programs zipped as their authors keep them (see
docs/real-packages.md for the list and for what each error on them is); they are never committed.
The program's console data is unknown here, so the scan runs like `scanpackage`: no domain
allowlist and no privacy declaration (code is checked against each dialect's own files only).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path; put the repository root there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

from programs.scanning import ScanConfig, ScanReport, scan_package  # noqa: E402

MIB = 1024 * 1024


def scan_folder(folder: Path) -> list[tuple[str, ScanReport, float]]:
    rows = []
    for path in sorted(folder.glob("*.zip")):
        started = time.perf_counter()
        report = scan_package(str(path), ScanConfig(time_limit_seconds=600))
        rows.append((path.stem, report, time.perf_counter() - started))
    return rows


def _by_code(report: ScanReport, severity: str) -> str:
    counts = Counter(f.code for f in report.findings if f.severity.value == severity)
    return ", ".join(f"{code}×{count}" if count > 1 else code for code, count in sorted(counts.items())) or "–"


def print_table(rows: list[tuple[str, ScanReport, float]], *, findings: bool) -> None:
    header = (f"{'package':<52}{'dialect':<8}{'root':<14}{'pages':>6}{'main MB':>9}{'full MB':>9}{'ms':>7}"
              f"{'E':>4}{'W':>4}{'N':>4}  errors by code")
    print(header)
    print("-" * len(header))
    for name, report, seconds in rows:
        sizes = report.sizes
        print(f"{name[:51]:<52}{report.dialect or '?':<8}{(report.root or '.')[:13]:<14}{report.pages:>6}"
              f"{(sizes.main or 0) / MIB:>9.2f}{(sizes.full or 0) / MIB:>9.2f}{seconds * 1000:>7.0f}"
              f"{report.errors:>4}{report.warnings:>4}{report.notices:>4}  {_by_code(report, 'error')}")
        if findings:
            for finding in report.findings:
                if finding.severity.value != "notice":
                    where = ":".join(str(part) for part in (finding.file, finding.line) if part)
                    print(f"      {finding.severity.value:<8}{finding.code:<32}{where}  {finding.message[:140]}")
    totals = Counter(f.code for _, report, _ in rows for f in report.findings if f.severity.value == "error")
    dialects = Counter(report.dialect for _, report, _ in rows)
    print(f"\n{len(rows)} packages ({', '.join(f'{d} {n}' for d, n in sorted(dialects.items(), key=str))}); "
          f"errors by code: {', '.join(f'{code} {n}' for code, n in totals.most_common()) or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="A folder of .zip packages.")
    parser.add_argument("--findings", action="store_true", help="List every error and warning.")
    options = parser.parse_args()
    if not options.folder.is_dir():
        parser.error(f"{options.folder} is not a folder")
    print_table(scan_folder(options.folder), findings=options.findings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
