"""Read `app.json` into a dialect-neutral manifest, reporting shape problems on the way."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from .codes import new_finding
from .config import ScanConfig
from .dialects import Dialect
from .findings import Finding
from .jsontext import JsonDocument, parse_json
from .package import SCRIPT_EXTENSIONS, TEMPLATE_EXTENSIONS, Package, extension

THEMED_SECTIONS = ("window", "tabBar")


@dataclass
class TabItem:
    page: str
    text: str | None
    icons: list[str]  # raw values: paths or `@theme` variables


@dataclass
class SubPackage:
    root: str  # normalised, relative to the mini-program root, with a trailing slash
    pages: list[str]  # relative to `root`

    def page_paths(self) -> list[str]:
        return [self.root + page for page in self.pages]


@dataclass
class AppManifest:
    """What the other checks need from app.json, whichever dialect wrote it."""

    document: JsonDocument
    pages: list[str] = field(default_factory=list)
    entry: str | None = None
    subpackages: list[SubPackage] = field(default_factory=list)
    tab_items: list[TabItem] | None = None
    theme_location: str | None = None
    themed_values: list[str] = field(default_factory=list)  # `@variables` used in window/tabBar
    private_infos: list[str] = field(default_factory=list)
    scopes: dict[str, str] = field(default_factory=dict)  # permission scope -> description

    def finding(self, code: str, message: str, *needles: str, key: bool = False,
                params: dict[str, object] | None = None) -> Finding:
        line, column = self.document.position(*needles, key=key)
        return new_finding(code, message, file=self.document.name, line=line, column=column, params=params)


def load_manifest(package: Package, dialect: Dialect, config: ScanConfig) -> tuple[AppManifest | None, list[Finding]]:
    name = package.in_root("app.json")
    text = package.text(name)
    if text is None:
        reason = "is missing" if name not in package.members else "is too large to read"
        return None, [new_finding("structure.app_json_missing", f"{name} {reason}.", file=name)]
    data, error = parse_json(text, allow_comments=dialect.json_comments, max_depth=config.max_json_depth)
    if error is not None:
        code = "structure.app_json_too_deep" if error.too_deep else "structure.app_json_invalid"
        return None, [new_finding(code, f"{name}: {error.message}.", file=name, line=error.line, column=error.column)]
    if not isinstance(data, dict):
        return None, [new_finding("structure.app_json_not_object", f"{name} must contain a JSON object.", file=name)]
    manifest = AppManifest(JsonDocument(name, text, data))
    return manifest, _fill(manifest, data, dialect)


def _fill(manifest: AppManifest, data: dict, dialect: Dialect) -> list[Finding]:
    findings = _read_pages(manifest, data)
    findings += _read_subpackages(manifest, data)
    findings += _read_tab_bar(manifest, data.get("tabBar"), dialect)
    findings += _read_theme(manifest, data)
    findings += _read_privacy(manifest, data)
    entry = data.get("entryPagePath")
    manifest.entry = entry if isinstance(entry, str) and entry else (manifest.pages[0] if manifest.pages else None)
    return findings


def _read_pages(manifest: AppManifest, data: dict) -> list[Finding]:
    pages = data.get("pages")
    if not pages:
        return [manifest.finding("structure.pages_missing", "app.json has no pages.", "pages", key=True)]
    if not _is_string_list(pages):
        return [manifest.finding("structure.field_invalid", "'pages' must be a list of strings.", "pages", key=True)]
    manifest.pages, findings = _valid_pages(manifest, pages, "pages")
    return findings


def _valid_pages(manifest: AppManifest, pages: list[str], where: str) -> tuple[list[str], list[Finding]]:
    valid, findings = [], []
    for page in pages:
        problem = page_path_problem(page)
        if problem:
            findings.append(manifest.finding(
                "structure.page_path_invalid", f"Page {page!r} in {where} {problem}.", page))
        elif page in valid:
            findings.append(manifest.finding("structure.page_duplicate", f"Page {page!r} is listed twice.", page,
                                             params={"page": page}))
        else:
            valid.append(page)
    return valid, findings


def page_path_problem(page: str) -> str | None:
    if not page.strip():
        return "is empty"
    if page.startswith("/") or "\\" in page:
        return "must be relative, with '/' separators"
    if ".." in page.split("/") or posixpath.normpath(page) != page:
        return "must be a normalised path without '..' or '.'"
    if extension(page) in TEMPLATE_EXTENSIONS | SCRIPT_EXTENSIONS:
        return "must not include a file extension"
    return None


def _read_subpackages(manifest: AppManifest, data: dict) -> list[Finding]:
    key = "subPackages" if "subPackages" in data else "subpackages"
    entries = data.get(key) or []
    if not isinstance(entries, list):
        return [manifest.finding("structure.field_invalid", f"'{key}' must be a list.", key, key=True)]
    findings = []
    for index, entry in enumerate(entries):
        subpackage, problems = _read_subpackage(manifest, entry, f"{key}[{index}]")
        findings += problems
        if subpackage is not None:
            manifest.subpackages.append(subpackage)
    return findings


def _read_subpackage(manifest: AppManifest, entry: object, where: str) -> tuple[SubPackage | None, list[Finding]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("root"), str) or not _is_string_list(
            entry.get("pages", [])):
        return None, [manifest.finding(
            "structure.subpackage_invalid", f"{where} needs a 'root' string and a 'pages' list of strings.", "root",
            key=True)]
    raw_root = entry["root"]
    root = posixpath.normpath(raw_root.strip("/")) if raw_root.strip("/") else ""
    if not root or root.startswith("..") or "\\" in raw_root:
        return None, [manifest.finding(
            "structure.subpackage_invalid", f"{where} root {raw_root!r} must be a relative folder.", raw_root)]
    pages, findings = _valid_pages(manifest, entry.get("pages", []), f"subpackage {root}")
    return SubPackage(root + "/", pages), findings


def _read_tab_bar(manifest: AppManifest, tab_bar: object, dialect: Dialect) -> list[Finding]:
    if tab_bar is None:
        return []
    items = tab_bar.get(dialect.tab_list_key) if isinstance(tab_bar, dict) else None
    if not isinstance(items, list):
        hint = _shape_hint(dialect)
        return [manifest.finding("tabbar.invalid", f"tabBar must have '{dialect.tab_list_key}': {hint}.", "tabBar",
                                 key=True)]
    manifest.tab_items, findings = [], []
    for index, item in enumerate(items):
        tab, problem = _read_tab(item, dialect)
        if problem:
            findings.append(manifest.finding(
                "tabbar.invalid", f"tabBar.{dialect.tab_list_key}[{index}] {problem}; {_shape_hint(dialect)}.",
                dialect.tab_list_key, key=True))
        else:
            manifest.tab_items.append(tab)
    return findings


def _read_tab(item: object, dialect: Dialect) -> tuple[TabItem | None, str | None]:
    if not isinstance(item, dict):
        return None, "is not an object"
    page, text = item.get("pagePath"), item.get(dialect.tab_text_key)
    if not isinstance(page, str) or not page:
        return None, "has no 'pagePath'"
    if not isinstance(text, str):
        return None, f"has no '{dialect.tab_text_key}'"
    icons = [item[key] for key in dialect.tab_icon_keys if isinstance(item.get(key), str) and item[key]]
    return TabItem(page.lstrip("/"), text, icons), None


def _shape_hint(dialect: Dialect) -> str:
    icon, active = dialect.tab_icon_keys
    return (f"{dialect.name} uses tabBar.{dialect.tab_list_key}[] with pagePath, {dialect.tab_text_key}, "
            f"{icon}, {active}")


def _read_theme(manifest: AppManifest, data: dict) -> list[Finding]:
    location = data.get("themeLocation")
    if location is not None and not isinstance(location, str):
        return [manifest.finding("structure.field_invalid", "'themeLocation' must be a string.", "themeLocation",
                                 key=True)]
    manifest.theme_location = location or None
    manifest.themed_values = sorted({value for section in THEMED_SECTIONS for value in _themed(data.get(section))})
    return []


def _themed(value: object) -> list[str]:
    """Every `@variable` string anywhere inside a section."""
    if isinstance(value, str):
        return [value] if value.startswith("@") and len(value) > 1 else []
    if isinstance(value, dict):
        return [found for inner in value.values() for found in _themed(inner)]
    if isinstance(value, list):
        return [found for inner in value for found in _themed(inner)]
    return []


def _read_privacy(manifest: AppManifest, data: dict) -> list[Finding]:
    findings = []
    infos = data.get("requiredPrivateInfos", [])
    if _is_string_list(infos):
        manifest.private_infos = list(dict.fromkeys(infos))
    else:
        findings.append(manifest.finding(
            "structure.field_invalid", "'requiredPrivateInfos' must be a list of strings.", "requiredPrivateInfos",
            key=True))
    permission = data.get("permission", {})
    if not isinstance(permission, dict):
        return findings + [manifest.finding(
            "structure.field_invalid", "'permission' must be an object of scopes.", "permission", key=True)]
    for scope, detail in permission.items():
        description = detail.get("desc") if isinstance(detail, dict) else None
        manifest.scopes[scope] = description.strip() if isinstance(description, str) else ""
    return findings


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
