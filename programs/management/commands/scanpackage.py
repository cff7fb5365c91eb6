"""Scan a package locally with the worker's checks, like a linter: exit 1 when it has errors."""

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from hosts.models import Host
from hosts.selectors import size_limits_for_host
from programs.scanning import ScanConfig, scan_package


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.2f} MB"


class Command(BaseCommand):
    help = "Scan a mini-program package (.zip) with the same checks as the worker; exit 1 if it has errors."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The package, a .zip file.")
        parser.add_argument("--host", help="Apply this host platform's size limits (e.g. alipay, weibo).")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, path, host=None, format="text", **options):
        if not os.path.isfile(path):
            raise CommandError(f"No such file: {path}")
        report = scan_package(path, config=self._config(host)).to_dict()
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self._print_text(path, report)
        sys.exit(1 if report["errors"] else 0)

    def _config(self, host: str | None) -> ScanConfig:
        """The host's limits from the database when there is one; the built-in defaults otherwise."""
        try:
            if host and not Host.objects.filter(code=host).exists():
                known = ", ".join(Host.objects.values_list("code", flat=True))
                raise CommandError(f"Unknown host {host!r}; known hosts: {known}")
            limits = size_limits_for_host(host)
        except DatabaseError:
            limits = {}
        return ScanConfig(size_limits=limits) if limits else ScanConfig()

    def _print_text(self, path: str, report: dict) -> None:
        for f in report["findings"]:
            where = ":".join(str(p) for p in (f.get("file") or path, f.get("line"), f.get("column")) if p)
            self.stdout.write(f"{where}: {f['severity']} [{f['code']}] {f['message']}")
        sizes = report.get("sizes") or {}
        if sizes and sizes.get("full") is None:
            self.stdout.write("sizes: not measured (the archive could not be read)")
        elif sizes:
            subs = ", ".join(f"{root} {_mb(size)}" for root, size in (sizes.get("subpackages") or {}).items())
            self.stdout.write(f"sizes: main {_mb(sizes.get('main', 0))}, full {_mb(sizes.get('full', 0))}"
                              + (f", subpackages: {subs}" if subs else ""))
        risk = (report.get("risk") or {}).get("score")
        self.stdout.write(f"{report.get('dialect') or 'unknown'} package: {report['errors']} errors, "
                          f"{report['warnings']} warnings, {report['notices']} notices, risk {risk}")
