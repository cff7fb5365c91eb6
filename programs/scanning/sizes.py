"""Package sizes as a host measures them: only the files it would ship, split into main and subpackages.

Shipped files are the members under the mini-program root, except what the IDEs never upload to a
host: project files (`project.config.json`, `mini.project.json` ...), source maps (`.map`),
dotfiles and dot-folders (`.git/`, `.env`), `__MACOSX/` resource forks, `node_modules/` (npm
dependencies are built into `miniprogram_npm/`, which is shipped), and anything matched by the
project's `packOptions.ignore` rules. Sizes are uncompressed bytes, which is what the limits count.
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field

from .appjson import AppManifest
from .codes import new_finding
from .config import ScanConfig
from .dialects import PROJECT_FILE_NAMES
from .findings import Finding
from .package import Package

NEVER_SHIPPED_FOLDERS = frozenset({"node_modules", "__MACOSX"})
NEVER_SHIPPED_EXTENSIONS = (".map",)
# Users' regular expressions are not run: a hostile pattern could stall the worker.
PACK_RULE_TYPES = frozenset({"file", "folder", "suffix", "prefix", "glob"})
NEAR_LIMIT_FRACTION = 0.9


@dataclass
class Sizes:
    main: int = 0
    subpackages: dict[str, int] = field(default_factory=dict)
    full: int = 0
    limits: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"main": self.main, "subpackages": dict(self.subpackages), "full": self.full,
                "limits": dict(self.limits)}

    @property
    def near_limit(self) -> bool:
        return bool(self.limits) and self.full > NEAR_LIMIT_FRACTION * self.limits["full"]


def shipped_names(package: Package) -> list[str]:
    rules = _pack_ignore_rules(package.project)
    shipped = []
    for name in package.members:
        if name.startswith(package.root):
            relative = name[len(package.root):]
            if not _never_shipped(relative) and not any(_matches(rule, relative) for rule in rules):
                shipped.append(name)
    return shipped


def _never_shipped(relative: str) -> bool:
    parts = relative.split("/")
    if any(part.startswith(".") or part in NEVER_SHIPPED_FOLDERS for part in parts):
        return True
    return parts[-1] in PROJECT_FILE_NAMES or relative.endswith(NEVER_SHIPPED_EXTENSIONS)


def _pack_ignore_rules(project: dict | None) -> list[tuple[str, str]]:
    options = (project or {}).get("packOptions")
    ignore = options.get("ignore") if isinstance(options, dict) else None
    if not isinstance(ignore, list):
        return []
    rules = []
    for rule in ignore:
        if isinstance(rule, dict) and rule.get("type") in PACK_RULE_TYPES and isinstance(rule.get("value"), str):
            value = rule["value"].strip()
            value = value[2:] if value.startswith("./") else value
            rules.append((rule["type"], value.lstrip("/")))
    return rules


def _matches(rule: tuple[str, str], relative: str) -> bool:
    kind, value = rule
    if not value:
        return False
    if kind == "file":
        return relative == value
    if kind == "folder":
        return relative.startswith(value.rstrip("/") + "/")
    if kind == "suffix":
        return relative.endswith(value)
    if kind == "prefix":
        return posixpath.basename(relative).startswith(value)
    return fnmatch.fnmatchcase(relative, value)


def measure_sizes(package: Package, manifest: AppManifest | None, config: ScanConfig) -> tuple[Sizes, list[Finding]]:
    dialect = package.dialect.name if package.dialect else None
    sizes = Sizes(limits=config.limits_for(dialect))
    roots = [sub.root for sub in manifest.subpackages] if manifest else []
    sizes.subpackages = dict.fromkeys(roots, 0)
    for name in package.shipped:
        size = package.members[name].size
        relative = name[len(package.root):]
        owner = next((root for root in roots if relative.startswith(root)), None)
        if owner is None:
            sizes.main += size
        else:
            sizes.subpackages[owner] += size
        sizes.full += size
    return sizes, _limit_findings(sizes, config.host, dialect)


def _limit_findings(sizes: Sizes, host: str | None, dialect: str | None) -> list[Finding]:
    findings = []
    where = f" for {host or dialect or 'this host'}"
    if sizes.main > sizes.limits["main"]:
        findings.append(new_finding(
            "size.main_too_large", f"The main package is {_mb(sizes.main)}; the limit{where} is {_mb(sizes.limits['main'])}."))
    for root, size in sizes.subpackages.items():
        if size > sizes.limits["subpackage"]:
            findings.append(new_finding(
                "size.subpackage_too_large",
                f"Subpackage {root} is {_mb(size)}; the limit{where} is {_mb(sizes.limits['subpackage'])}."))
    if sizes.full > sizes.limits["full"]:
        findings.append(new_finding(
            "size.total_too_large", f"The package is {_mb(sizes.full)}; the limit{where} is {_mb(sizes.limits['full'])}."))
    return findings


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.2f} MB ({size:,} bytes)"
