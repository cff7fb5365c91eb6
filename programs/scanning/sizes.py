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
import re
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
# How much of a part's script bytes minification is assumed to save at most.
MINIFY_SAVING = 0.25
# Assets the IDE leaves out when `setting.ignoreUploadUnusedFiles` is on and no file names them.
ASSET_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".mp3", ".mp4", ".m4a", ".aac", ".wav")
_ASSET_NAME = re.compile(rb"[\w.@-]+\.(?:png|jpe?g|gif|webp|svg|bmp|mp3|mp4|m4a|aac|wav)", re.IGNORECASE)
# Users' regular expressions are not run: a hostile pattern could stall the worker.
PACK_RULE_TYPES = frozenset({"file", "folder", "suffix", "prefix", "glob"})
NEAR_LIMIT_FRACTION = 0.9


@dataclass
class Sizes:
    # None when nothing was measured: the archive stopped the scan before its contents were read.
    main: int | None = 0
    subpackages: dict[str, int] = field(default_factory=dict)
    full: int | None = 0
    limits: dict[str, int] = field(default_factory=dict)
    # Bytes the IDE may remove on upload, per part ("" for the main package, else the subpackage root):
    # a quarter of the scripts when it minifies them, unreferenced assets when it drops unused files.
    shrinkable: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    shrink_reasons: list[str] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"main": self.main, "subpackages": dict(self.subpackages), "full": self.full,
                "limits": dict(self.limits)}

    @property
    def near_limit(self) -> bool:
        return bool(self.limits) and self.full is not None and self.full > NEAR_LIMIT_FRACTION * self.limits["full"]


def shipped_names(package: Package) -> list[str]:
    rules = _pack_ignore_rules(package.project)
    shipped = []
    for name in package.members:
        if name.startswith(package.root):
            relative = name[len(package.root):]
            if not never_shipped(relative) and not any(_matches(rule, relative) for rule in rules):
                shipped.append(name)
    return shipped


def never_shipped(relative: str) -> bool:
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
    owners = {}
    for name in package.shipped:
        size = package.members[name].size
        relative = name[len(package.root):]
        owners[name] = owner = next((root for root in roots if relative.startswith(root)), "")
        if owner:
            sizes.subpackages[owner] += size
        else:
            sizes.main += size
        sizes.full += size
    if _over_a_limit(sizes):
        _estimate_shrinking(package, sizes, owners)
    return sizes, _limit_findings(sizes, config.host, dialect)


def _over_a_limit(sizes: Sizes) -> bool:
    limits = sizes.limits
    return (sizes.main > limits["main"] or sizes.full > limits["full"]
            or any(size > limits["subpackage"] for size in sizes.subpackages.values()))


def _estimate_shrinking(package: Package, sizes: Sizes, owners: dict[str, str]) -> None:
    """What the project's upload settings remove: only worked out when a part is over its limit."""
    setting = (package.project or {}).get("setting")
    setting = setting if isinstance(setting, dict) else {}
    removed: dict[str, int] = {}
    if setting.get("minified") is True:
        sizes.shrink_reasons.append("minified")
        for name, owner in owners.items():
            if name.endswith(MINIFIED_ON_UPLOAD):
                removed[owner] = removed.get(owner, 0) + int(package.members[name].size * MINIFY_SAVING)
    if setting.get("ignoreUploadUnusedFiles") is True:
        sizes.shrink_reasons.append("ignoreUploadUnusedFiles")
        named = _named_assets(package)
        for name, owner in owners.items():
            if name.lower().endswith(ASSET_EXTENSIONS) and posixpath.basename(name).lower() not in named:
                removed[owner] = removed.get(owner, 0) + package.members[name].size
    sizes.shrinkable = removed


def _named_assets(package: Package) -> set[str]:
    """Every asset file name that some shipped text file mentions (lower-cased)."""
    named: set[str] = set()
    for name in package.shipped:
        data = package.members[name].data
        if data is not None and not name.lower().endswith(ASSET_EXTENSIONS):
            named.update(match.decode("utf-8", "replace").lower() for match in _ASSET_NAME.findall(data))
    return {posixpath.basename(value.split("/")[-1]) for value in named}


def _limit_findings(sizes: Sizes, host: str | None, dialect: str | None) -> list[Finding]:
    where = host or dialect or "this host"
    parts = [("size.main_too_large", "", sizes.main, sizes.limits["main"])]
    parts += [("size.subpackage_too_large", root, size, sizes.limits["subpackage"])
              for root, size in sizes.subpackages.items()]
    parts.append(("size.total_too_large", None, sizes.full, sizes.limits["full"]))
    findings = []
    for code, root, size, limit in parts:
        if size > limit:
            shrinkable = sum(sizes.shrinkable.values()) if root is None else sizes.shrinkable.get(root, 0)
            findings.append(_limit_finding(code, root, size, limit, shrinkable, where, sizes.shrink_reasons))
    return findings


def _limit_finding(code: str, root: str | None, size: int, limit: int, shrinkable: int, where: str,
                   reasons: list[str]) -> Finding:
    """`root` is "" for the main package, a subpackage root, or None for the whole package."""
    what = "The package" if root is None else (f"Subpackage {root}" if root else "The main package")
    params = {"part": "full" if root is None else ("subpackage" if root else "main"), "root": root or "",
              "size": _mb(size), "limit": _mb(limit), "host": where}
    if shrinkable and size - limit <= shrinkable:
        settings = " and ".join(f"`{reason}`" for reason in reasons)
        return new_finding(
            "size.over_before_upload",
            f"{what} is {_mb(size)} as zipped; the limit for {where} is {_mb(limit)}. The project's upload settings "
            f"({settings}) can remove up to {_mb(shrinkable)}, so the uploaded package is likely to fit: check the "
            "size the IDE reports.", params={**params, "shrinkable": _mb(shrinkable), "settings": settings})
    return new_finding(code, f"{what} is {_mb(size)}; the limit for {where} is {_mb(limit)}.", params=params)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.2f} MB ({size:,} bytes)"
