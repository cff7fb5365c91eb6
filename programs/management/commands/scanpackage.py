"""Scan a package locally with the worker's checks, like a linter: exit 1 when it has errors."""

import json
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from hosts.models import Host
from hosts.selectors import size_limits_for_host
from programs.cli import format_size, plural
from programs.domains import DOMAIN_KINDS, host_of, normalise_domain
from programs.scanning import ScanConfig, scan_package

DOMAIN_OPTIONS = ", ".join(f"--{kind}-domain" for kind in DOMAIN_KINDS)


def not_checked(config: ScanConfig) -> list[dict]:
    """The worker's checks this run could not make, each with why and how to make it: never a silent pass."""
    skipped = []
    if config.allowed_domains is None:
        skipped.append({
            "check": "network.allowlist", "what": "the domain allowlist",
            "why": "the console checks the URLs given to request, upload, download and socket calls against "
                   "the program's server domains (network.not_allowed)",
            "how": f"To check it here, pass the program's domains with {DOMAIN_OPTIONS} (each repeatable, e.g. "
                   "--request-domain https://api.example.com)"})
    if config.privacy_declaration is None:
        skipped.append({
            "check": "privacy.declaration", "what": "the privacy declaration",
            "why": "the console checks the personal information the code uses against the program's "
                   "privacy declaration (privacy.not_in_declaration)",
            "how": "It is checked only when the package is uploaded to the console"})
    return skipped


class Command(BaseCommand):
    help = "Scan a mini-program package (.zip) with the same checks as the worker; exit 1 if it has errors."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The package, a .zip file.")
        parser.add_argument("--host", help="Apply this host platform's size limits (e.g. alipay, weibo).")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        for kind in DOMAIN_KINDS:
            parser.add_argument(
                f"--{kind}-domain", action="append", dest=f"{kind}_domains", metavar="URL",
                help=f"A {kind} server domain of the program, as on its edit page (repeatable). Given any of "
                     f"{DOMAIN_OPTIONS}, the URLs in the code are checked against them as on the console, and "
                     "a kind left out allows nothing.")

    def handle(self, *args, path, host=None, format="text", **options):
        if not os.path.isfile(path):
            raise CommandError(f"No such file: {path}")
        config = self._config(host, _allowed_domains(options))
        report = scan_package(path, config=config).to_dict()
        report["not_checked"] = not_checked(config)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self._print_text(path, report)
        sys.exit(1 if report["errors"] else 0)

    def _config(self, host: str | None, allowed_domains: dict[str, list[str]] | None) -> ScanConfig:
        """The host's limits from the database when there is one; the built-in defaults otherwise."""
        try:
            if host and not Host.objects.filter(code=host).exists():
                known = ", ".join(Host.objects.values_list("code", flat=True))
                raise CommandError(f"Unknown host {host!r}; known hosts: {known}")
            limits = size_limits_for_host(host)
        except DatabaseError:
            limits = {}
        if limits:
            return ScanConfig(size_limits=limits, allowed_domains=allowed_domains)
        return ScanConfig(allowed_domains=allowed_domains)

    def _print_text(self, path: str, report: dict) -> None:
        for f in report["findings"]:
            where = ":".join(str(p) for p in (f.get("file") or path, f.get("line"), f.get("column")) if p)
            self.stdout.write(f"{where}: {f['severity']} [{f['code']}] {f['message']}")
        for item in report["not_checked"]:
            self.stdout.write(f"not checked: {item['what']}; {item['why']}. {item['how']}.")
        sizes = report.get("sizes") or {}
        if sizes and sizes.get("full") is None:
            self.stdout.write("sizes: not measured (the archive could not be read)")
        elif sizes:
            subs = ", ".join(f"{root} {format_size(size)}" for root, size in (sizes.get("subpackages") or {}).items())
            self.stdout.write(f"sizes: main {format_size(sizes.get('main', 0))}, "
                              f"full {format_size(sizes.get('full', 0))}" + (f", subpackages: {subs}" if subs else ""))
        risk = (report.get("risk") or {}).get("score")
        counts = ", ".join(plural(report[key], word) for key, word in
                           (("errors", "error"), ("warnings", "warning"), ("notices", "notice")))
        self.stdout.write(f"{report.get('dialect') or 'unknown'} package: {counts}, risk {risk}")


def _allowed_domains(options: dict) -> dict[str, list[str]] | None:
    """The program's allowlists as the worker passes them (`api.example.com[:port]` per kind), or None when
    no domain option was given (the allowlist is then unknown and not checked). Entries are validated like
    the console's edit page, so a local run cannot pass on an entry the console would refuse."""
    given = {kind: options.get(f"{kind}_domains") for kind in DOMAIN_KINDS}
    if not any(given.values()):
        return None
    allowed = {}
    for kind, entries in given.items():
        try:
            allowed[kind] = [host_of(normalise_domain(kind, entry)) for entry in entries or []]
        except ValidationError as error:
            raise CommandError(f"--{kind}-domain: {' '.join(error.messages)}") from None
    return allowed
