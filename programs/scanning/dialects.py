"""Which mini-program framework a package is written for, and where its root folder is."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass

from .codes import new_finding
from .config import ScanConfig
from .findings import Finding
from .jsontext import parse_json
from .package import Package, extension

# A project file is strong evidence; template and style files are counted one by one.
PROJECT_FILE_WEIGHT = 50


@dataclass(frozen=True)
class Dialect:
    """What differs between frameworks, as data the checks read."""

    name: str
    namespace: str  # the global API object: my.request, wx.request ...
    template_ext: str
    style_ext: str
    project_files: tuple[str, ...]
    root_keys: tuple[str, ...]  # project-file keys naming the mini-program root folder
    tab_list_key: str
    tab_text_key: str
    tab_icon_keys: tuple[str, str]
    json_comments: bool  # whether the dialect's tools accept comments in app.json
    exact_domains: bool  # allowlist by exact host[:port] (WeChat) or registrable domain (Alipay)
    private_infos: bool  # location APIs are declared in requiredPrivateInfos (WeChat)
    tab_icon_side: int = 81  # the tab icon size the dialect's docs recommend, in pixels


ALIPAY = Dialect(
    "alipay", "my", ".axml", ".acss", ("mini.project.json",), ("miniprogramRoot",),
    "items", "name", ("icon", "activeIcon"), json_comments=True, exact_domains=False, private_infos=False,
    tab_icon_side=60)
WECHAT = Dialect(
    "wechat", "wx", ".wxml", ".wxss", ("project.config.json",), ("miniprogramRoot",),
    "list", "text", ("iconPath", "selectedIconPath"), json_comments=False, exact_domains=True, private_infos=True)
DOUYIN = Dialect(
    "douyin", "tt", ".ttml", ".ttss", ("project.config.json", "project.tt.json"), ("miniprogramRoot",),
    "list", "text", ("iconPath", "selectedIconPath"), json_comments=False, exact_domains=True, private_infos=False)
BAIDU = Dialect(
    "baidu", "swan", ".swan", ".css", ("project.swan.json",), ("smartProgramRoot", "miniprogramRoot"),
    "list", "text", ("iconPath", "selectedIconPath"), json_comments=False, exact_domains=True, private_infos=False)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (ALIPAY, WECHAT, DOUYIN, BAIDU)}
PROJECT_FILES = frozenset(name for d in DIALECTS.values() for name in d.project_files)
# Files the IDEs keep next to the project; never shipped to devices.
PROJECT_FILE_NAMES = PROJECT_FILES | {"project.private.config.json"}
TEMPLATE_EXTS = frozenset(d.template_ext for d in DIALECTS.values())
# Styles count only where the extension is unambiguous (`.css` is also used by web files).
_EVIDENCE = {d.template_ext: d.name for d in DIALECTS.values()} | {
    ".acss": "alipay", ".sjs": "alipay", ".wxss": "wechat", ".wxs": "wechat", ".ttss": "douyin"}


@dataclass
class Layout:
    """Where the project lives in the archive: `base` holds the project file, `root` holds app.json."""

    dialect: Dialect | None
    base: str = ""
    root: str = ""
    project: dict | None = None
    project_file: str | None = None
    root_missing: bool = False  # the project file names a root folder the archive lacks (e.g. an unbuilt dist/)


def detect_layout(package: Package, config: ScanConfig) -> tuple[Layout, list[Finding]]:
    """Pick the dialect by evidence, then resolve the root folder named by the project file."""
    scores, template_counts = _evidence(package)
    project_file = _shallowest(name for name in package.members if posixpath.basename(name) in PROJECT_FILES)
    project, findings = _load_project(package, project_file, config)
    if project_file:
        for dialect in _dialects_for_project(project_file, project):
            scores[dialect] += PROJECT_FILE_WEIGHT
    if not scores:
        return Layout(None), findings + [new_finding(
            "structure.unknown_dialect",
            "No template files (.axml, .wxml, .ttml, .swan) or project file were found.")]
    dialect = DIALECTS[max(DIALECTS, key=lambda name: (scores[name], -list(DIALECTS).index(name)))]
    findings += _mixed_dialect_findings(dialect, template_counts)
    base = posixpath.dirname(project_file) + "/" if project_file and "/" in project_file else ""
    if not project_file:
        base = _base_without_project(package)
    root, root_findings = _root(package, dialect, base, project, project_file)
    missing = any(finding.params.get("reason") == "missing" for finding in root_findings)
    return Layout(dialect, base, root, project, project_file, missing), findings + root_findings


def _evidence(package: Package) -> tuple[Counter, Counter]:
    scores: Counter = Counter()
    templates: Counter = Counter()
    for name in package.members:
        kind = extension(name)
        if kind in _EVIDENCE:
            scores[_EVIDENCE[kind]] += 1
            if kind in TEMPLATE_EXTS:
                templates[_EVIDENCE[kind]] += 1
    return scores, templates


def _shallowest(names) -> str | None:
    ordered = sorted(names, key=lambda name: (name.count("/"), name))
    return ordered[0] if ordered else None


def _load_project(package: Package, project_file: str | None, config: ScanConfig) -> tuple[dict | None, list[Finding]]:
    if project_file is None:
        return None, []
    text = package.text(project_file) or ""
    # Project files are read by IDEs that accept comments, so they are tolerated in every dialect.
    data, error = parse_json(text, allow_comments=True, max_depth=config.max_json_depth)
    if error is not None or not isinstance(data, dict):
        reason = error.message if error else "the top level is not an object"
        line, column = (error.line, error.column) if error else (None, None)
        return None, [new_finding(
            "structure.project_config_invalid", f"{project_file} is not valid: {reason}.",
            file=project_file, line=line, column=column)]
    return data, []


def _dialects_for_project(project_file: str, project: dict | None) -> list[str]:
    """`project.config.json` is shared by WeChat and Douyin; Douyin AppIDs start with `tt`."""
    basename = posixpath.basename(project_file)
    if basename == "project.config.json":
        appid = str((project or {}).get("appid", ""))
        return ["douyin"] if appid.startswith("tt") else ["wechat"]
    return [d.name for d in DIALECTS.values() if basename in d.project_files]


def _mixed_dialect_findings(dialect: Dialect, template_counts: Counter) -> list[Finding]:
    others = {name: count for name, count in template_counts.items() if name != dialect.name}
    if not others:
        return []
    listed = ", ".join(f"{count} {DIALECTS[name].template_ext}" for name, count in sorted(others.items()))
    return [new_finding(
        "structure.mixed_dialect",
        f"Detected {dialect.name}, but the package also has {listed} files, which the host ignores.")]


def _base_without_project(package: Package) -> str:
    """Without a project file, the project folder is the one holding the shallowest app.json."""
    app_json = _shallowest(name for name in package.members if posixpath.basename(name) == "app.json")
    return posixpath.dirname(app_json) + "/" if app_json and "/" in app_json else ""


def _root(package: Package, dialect: Dialect, base: str, project: dict | None,
          project_file: str | None) -> tuple[str, list[Finding]]:
    value = next((project[key] for key in dialect.root_keys if project and key in project), None)
    if value is None or value in ("", "./", "."):
        return base, []
    normal = posixpath.normpath(str(value)) if isinstance(value, str) else ""
    if not normal or normal.startswith(("/", "..")) or "\\" in normal:
        return base, [_root_finding(project_file, value, "must be a relative folder inside the package", "invalid")]
    root = base + normal + "/"
    if not any(name.startswith(root) for name in package.members):
        return base, [_root_finding(project_file, value, "names a folder that is not in the package", "missing")]
    return root, []


def _root_finding(project_file: str | None, value: object, reason: str, kind: str) -> Finding:
    return new_finding(
        "structure.project_config_invalid", f"The root folder {value!r} {reason}.", file=project_file,
        params={"reason": kind})
