"""Package sizes as a host measures them: only the files it would ship, split into main and subpackages.

Shipped files are the members under the mini-program root, except what the IDEs never upload to a
host: project files (`project.config.json`, `mini.project.json` ...), source maps (`.map`),
dotfiles and dot-folders (`.git/`, `.env`), documentation (`.md`) and type declarations (`.d.ts`), `__MACOSX/` resource forks, `node_modules/` (npm
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
# Source maps, documentation and TypeScript declarations: the IDEs upload none of them (they only
# pack the file types a host runtime reads; `.d.ts` holds types, no code).
NEVER_SHIPPED_EXTENSIONS = (".map", ".md", ".markdown", ".d.ts")
# Scripts the IDE minifies on upload when the project asks for it (WeChat-style `setting.minified`).
MINIFIED_ON_UPLOAD = (".js", ".ts")
# How much of a part's script bytes minification is assumed to save at most: an excess within this
# is a warning (the upload is likely to fit), beyond it an error.
MINIFY_SAVING = 0.25
# Users' regular expressions are not run: a hostile pattern could stall the worker.
PACK_RULE_TYPES = frozenset({"file", "folder", "suffix", "prefix", "glob"})
NEAR_LIMIT_FRACTION = 0.9


@dataclass
class Sizes:
    main: int = 0
    subpackages: dict[str, int] = field(default_factory=dict)
    full: int = 0
    limits: dict[str, int] = field(default_factory=dict)
    # Script bytes per part ("" for the main package, else the subpackage root), and whether the
    # project has the IDE minify them on upload: the shipped size may then be smaller than measured.
    scripts: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    minified_on_upload: bool = field(default=False, repr=False, compare=False)

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
    sizes.minified_on_upload = _minifies(package.project)
    for name in package.shipped:
        size = package.members[name].size
        relative = name[len(package.root):]
        owner = next((root for root in roots if relative.startswith(root)), None)
        if owner is None:
            sizes.main += size
        else:
            sizes.subpackages[owner] += size
        sizes.full += size
        if name.endswith(MINIFIED_ON_UPLOAD):
            sizes.scripts[owner or ""] = sizes.scripts.get(owner or "", 0) + size
    return sizes, _limit_findings(sizes, config.host, dialect)


def _minifies(project: dict | None) -> bool:
    setting = (project or {}).get("setting")
    return isinstance(setting, dict) and setting.get("minified") is True


def _limit_findings(sizes: Sizes, host: str | None, dialect: str | None) -> list[Finding]:
    where = host or dialect or "this host"
    parts = [("size.main_too_large", "", sizes.main, sizes.limits["main"])]
    parts += [("size.subpackage_too_large", root, size, sizes.limits["subpackage"])
              for root, size in sizes.subpackages.items()]
    parts.append(("size.total_too_large", None, sizes.full, sizes.limits["full"]))
    findings = []
    for code, root, size, limit in parts:
        if size > limit:
            scripts = sum(sizes.scripts.values()) if root is None else sizes.scripts.get(root, 0)
            findings.append(_limit_finding(code, root, size, limit, scripts, where, sizes.minified_on_upload))
    return findings


def _limit_finding(code: str, root: str | None, size: int, limit: int, scripts: int, where: str,
                   minified: bool) -> Finding:
    """`root` is "" for the main package, a subpackage root, or None for the whole package."""
    what = "The package" if root is None else (f"Subpackage {root}" if root else "The main package")
    params = {"part": "full" if root is None else ("subpackage" if root else "main"), "root": root or "",
              "size": _mb(size), "limit": _mb(limit), "host": where}
    if minified and size - limit <= scripts * MINIFY_SAVING:
        return new_finding(
            "size.over_before_minification",
            f"{what} is {_mb(size)} before the IDE minifies its {_mb(scripts)} of scripts (project setting "
            f"`minified`); the limit for {where} is {_mb(limit)}. The upload is likely to fit: check the size "
            "the IDE reports.", params={**params, "scripts": _mb(scripts)})
    return new_finding(code, f"{what} is {_mb(size)}; the limit for {where} is {_mb(limit)}.", params=params)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.2f} MB ({size:,} bytes)"
