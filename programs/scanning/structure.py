"""Structure checks over app.json: pages have files, subpackages are disjoint, entry and theme resolve."""

from __future__ import annotations

from dataclasses import dataclass, field

from .appjson import AppManifest, SubPackage
from .config import ScanConfig
from .dialects import Dialect
from .findings import Finding
from .jsontext import parse_json
from .package import Package

# Hosts ship compiled JavaScript; TypeScript sources are accepted because the IDEs compile them on upload.
PAGE_SCRIPT_EXTENSIONS = (".js", ".ts")
THEME_MODES = ("light", "dark")


def check_pages(package: Package, manifest: AppManifest, dialect: Dialect) -> list[Finding]:
    """Every main and subpackage page has its template and its script. A subpackage with no files at all is
    one finding (`check_subpackages`), not two per page: an empty submodule folder of a real package buried
    the report under 28 errors."""
    findings = []
    pages = manifest.pages + [page for sub in manifest.subpackages if _has_files(package, sub)
                              for page in sub.page_paths()]
    for page in pages:
        if not package.exists(page + dialect.template_ext):
            findings.append(manifest.finding(
                "structure.page_missing_template",
                f"Page {page!r} has no {dialect.template_ext} template ({package.in_root(page)}{dialect.template_ext}).",
                _needle(page, manifest), params={"page": page, "file": package.in_root(page) + dialect.template_ext}))
        if not any(package.exists(page + ext) for ext in PAGE_SCRIPT_EXTENSIONS):
            findings.append(manifest.finding(
                "structure.page_missing_script", f"Page {page!r} has no .js script ({package.in_root(page)}.js).",
                _needle(page, manifest), params={"page": page, "file": package.in_root(page) + ".js"}))
    return findings


def _has_files(package: Package, sub: SubPackage) -> bool:
    return any(name.startswith(package.root + sub.root) for name in package.members)


def _needle(page: str, manifest: AppManifest) -> str:
    """The text to point at in app.json: subpackage pages are written relative to their root."""
    for sub in manifest.subpackages:
        if page.startswith(sub.root):
            return page[len(sub.root):]
    return page


def check_subpackages(package: Package, manifest: AppManifest) -> list[Finding]:
    findings = []
    for index, sub in enumerate(manifest.subpackages):
        if not _has_files(package, sub):
            findings.append(manifest.finding(
                "structure.subpackage_missing", f"Subpackage folder {sub.root!r} has no files.", sub.root.rstrip("/"),
                params={"root": sub.root}))
        for other in manifest.subpackages[index + 1:]:
            if sub.root.startswith(other.root) or other.root.startswith(sub.root):
                findings.append(manifest.finding(
                    "structure.subpackage_nested",
                    f"Subpackage roots {sub.root!r} and {other.root!r} overlap.", other.root.rstrip("/"),
                    params={"root": sub.root, "other": other.root}))
    for page in manifest.pages:
        owner = subpackage_of(page, manifest.subpackages)
        if owner is not None and page != manifest.entry:
            findings.append(manifest.finding(
                "structure.main_page_in_subpackage",
                f"Main page {page!r} is inside subpackage folder {owner.root!r}.", page,
                params={"page": page, "root": owner.root}))
    return findings


def check_entry(manifest: AppManifest) -> list[Finding]:
    entry = manifest.entry
    if entry is None:
        return []
    if entry not in manifest.pages or subpackage_of(entry, manifest.subpackages) is not None:
        return [manifest.finding(
            "structure.entry_in_subpackage",
            f"The entry page {entry!r} must be a page of the main package.", entry, params={"page": entry})]
    return []


def subpackage_of(page: str, subpackages: list[SubPackage]) -> SubPackage | None:
    return next((sub for sub in subpackages if page.startswith(sub.root)), None)


@dataclass
class Theme:
    """Theme variables by mode; values of app.json that start with `@` resolve through it."""

    modes: dict[str, dict] = field(default_factory=dict)

    def resolve(self, value: str) -> list[str]:
        """Concrete values for every mode (the value itself when it is not a variable)."""
        if not value.startswith("@"):
            return [value]
        name = value[1:]
        found = [mode[name] for mode in self.modes.values() if isinstance(mode.get(name), str)]
        return list(dict.fromkeys(found))


def check_theme(package: Package, manifest: AppManifest, config: ScanConfig) -> tuple[Theme, list[Finding]]:
    if manifest.theme_location is None:
        findings = [_undefined(manifest, value, "no themeLocation is set") for value in manifest.themed_values]
        return Theme(), findings
    theme, problem = _load_theme(package, manifest.theme_location, config)
    if problem:
        return theme, [manifest.finding("structure.theme_missing", problem, manifest.theme_location)]
    findings = []
    for value in manifest.themed_values:
        missing = [mode for mode in THEME_MODES if value[1:] not in theme.modes.get(mode, {})]
        if missing:
            findings.append(_undefined(manifest, value, f"it is not defined in {' and '.join(missing)}"))
    return theme, findings


def _load_theme(package: Package, location: str, config: ScanConfig) -> tuple[Theme, str | None]:
    name = package.in_root(location)
    text = package.text(name)
    if text is None:
        return Theme(), f"Theme file {name} is missing."
    data, error = parse_json(text, allow_comments=False, max_depth=config.max_json_depth)
    if error is not None or not isinstance(data, dict):
        return Theme(), f"Theme file {name} is not a JSON object ({error.message if error else 'wrong type'})."
    modes = {mode: data[mode] for mode in THEME_MODES if isinstance(data.get(mode), dict)}
    if not modes:
        return Theme(), f"Theme file {name} has neither a 'light' nor a 'dark' object."
    return Theme(modes), None


def _undefined(manifest: AppManifest, value: str, reason: str) -> Finding:
    return manifest.finding("structure.theme_variable_undefined", f"Theme variable {value!r}: {reason}.", value,
                            params={"variable": value})


def check_structure(package: Package, manifest: AppManifest, dialect: Dialect) -> list[Finding]:
    return check_pages(package, manifest, dialect) + check_subpackages(package, manifest) + check_entry(manifest)

