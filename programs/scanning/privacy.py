"""Private APIs used in code must be declared in app.json; declarations nobody uses are noted.

Declarations follow WeChat: location APIs go in `requiredPrivateInfos`, and permission scopes go in
`permission` with a `desc` shown to the user. The console applies the same `permission` convention
to every dialect and to every private API below (phone number, camera, recording, album ...), which
is stricter than some hosts: the reviewer and the user both see why each capability is needed.
Dialects without `requiredPrivateInfos` (Alipay, Douyin, Baidu) declare location with
`scope.userLocation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .appjson import AppManifest
from .codes import new_finding
from .dialects import Dialect
from .findings import Finding
from .jssource import Script, track_apis
from .package import TEMPLATE_EXTENSIONS, Package, extension


@dataclass(frozen=True)
class PrivateApi:
    info: str | None  # the requiredPrivateInfos entry (WeChat location APIs)
    scope: str | None  # the permission scope the console requires
    signal: str  # the risk signal its use raises


LOCATION = "signal.location"
PHONE = "signal.phone_number"
DEVICE = "signal.camera_or_microphone"
NONE = ""

PRIVATE_APIS: dict[str, PrivateApi] = {
    "getFuzzyLocation": PrivateApi("getFuzzyLocation", "scope.userFuzzyLocation", LOCATION),
    "getLocation": PrivateApi("getLocation", "scope.userLocation", LOCATION),
    "onLocationChange": PrivateApi("onLocationChange", None, LOCATION),
    "startLocationUpdate": PrivateApi("startLocationUpdate", "scope.userLocation", LOCATION),
    "startLocationUpdateBackground": PrivateApi(
        "startLocationUpdateBackground", "scope.userLocationBackground", LOCATION),
    "chooseLocation": PrivateApi("chooseLocation", None, LOCATION),
    "choosePoi": PrivateApi("choosePoi", None, LOCATION),
    "chooseAddress": PrivateApi("chooseAddress", None, NONE),
    "getPhoneNumber": PrivateApi(None, "scope.phoneNumber", PHONE),
    "startRecord": PrivateApi(None, "scope.record", DEVICE),
    "getRecorderManager": PrivateApi(None, "scope.record", DEVICE),
    "createCameraContext": PrivateApi(None, "scope.camera", DEVICE),
    "saveImageToPhotosAlbum": PrivateApi(None, "scope.writePhotosAlbum", NONE),
    "saveVideoToPhotosAlbum": PrivateApi(None, "scope.writePhotosAlbum", NONE),
    "addPhoneContact": PrivateApi(None, "scope.addPhoneContact", NONE),
    "addPhoneCalendar": PrivateApi(None, "scope.addPhoneCalendar", NONE),
    "addPhoneRepeatCalendar": PrivateApi(None, "scope.addPhoneCalendar", NONE),
    "openBluetoothAdapter": PrivateApi(None, "scope.bluetooth", NONE),
    "getWeRunData": PrivateApi(None, "scope.werun", NONE),
}
_PRIVATE_NAMES = track_apis(PRIVATE_APIS)
KNOWN_INFOS = frozenset(api.info for api in PRIVATE_APIS.values() if api.info)
KNOWN_SCOPES = frozenset(api.scope for api in PRIVATE_APIS.values() if api.scope)
PRECISE_LOCATION_INFOS = frozenset({"getLocation", "onLocationChange", "startLocationUpdate",
                                    "startLocationUpdateBackground"})
# Where a dialect has no requiredPrivateInfos, location APIs are declared with this scope.
LOCATION_SCOPE = "scope.userLocation"

NAMESPACES = ("my", "wx", "tt", "swan")
# (substring that must be present, pattern, API it stands for); patterns start with a literal.
_TEMPLATE_USES = [
    ("honeNumber", re.compile(r"open-type\s*=\s*[\"']getPhoneNumber"), "getPhoneNumber"),
    ("honeNumber", re.compile(r"scope\s*=\s*[\"']phoneNumber[\"']"), "getPhoneNumber"),  # Alipay getAuthorize
    ("<camera", re.compile(r"<camera\b"), "createCameraContext"),
]
_TEMPLATE_HINT_BYTES = tuple({hint.encode() for hint, _, _ in _TEMPLATE_USES})
# An unterminated comment runs to the end, so a hostile template cannot make this quadratic.
_TEMPLATE_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)


@dataclass
class Use:
    api: str
    file: str
    line: int | None
    column: int | None


@dataclass
class PrivacyResult:
    findings: list[Finding] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    signals: set[str] = field(default_factory=set)


def check_privacy(package: Package, scripts: list[Script], manifest: AppManifest | None,
                  dialect: Dialect | None) -> PrivacyResult:
    uses = _script_uses(scripts, dialect) + _template_uses(package)
    result = PrivacyResult(signals={PRIVATE_APIS[use.api].signal for use in uses} - {NONE})
    if manifest is None:
        return result
    declared = manifest.private_infos + list(manifest.scopes)
    result.permissions = list(dict.fromkeys(declared))
    if any(info in PRECISE_LOCATION_INFOS | {"getFuzzyLocation"} for info in manifest.private_infos):
        result.signals.add(LOCATION)
    result.findings = (_undeclared(uses, manifest, dialect) + _unused(uses, manifest, dialect)
                       + _declaration_findings(manifest))
    return result


def requirements(api: str, dialect: Dialect | None) -> list[str]:
    """The declarations one use of `api` needs in this dialect."""
    entry = PRIVATE_APIS[api]
    if dialect is not None and dialect.private_infos:
        return [name for name in (entry.info, entry.scope) if name]
    if entry.scope:
        return [entry.scope]
    return [LOCATION_SCOPE] if entry.info and entry.signal == LOCATION else []


def _script_uses(scripts: list[Script], dialect: Dialect | None) -> list[Use]:
    namespaces = [dialect.namespace] if dialect else NAMESPACES
    uses = []
    for script in scripts:
        for namespace in namespaces:
            for offset, name, _ in script.api_uses(namespace, _PRIVATE_NAMES):
                if script.is_code(offset):
                    uses.append(Use(name, script.name, *script.position(offset)))
    return uses


def _template_uses(package: Package) -> list[Use]:
    uses = []
    for name in package.shipped:
        if extension(name) in TEMPLATE_EXTENSIONS and _may_use_apis(package, name):
            uses += [Use(api, name, None, None) for api in _template_apis(package.text(name) or "")]
    return uses


def _may_use_apis(package: Package, name: str) -> bool:
    """Whether the raw bytes hold a hint, so most templates are never decoded.

    The hints are ASCII, and decoding (even with replacement) keeps every ASCII byte, so a hint is
    in the bytes exactly when it is in the text.
    """
    member = package.members.get(name)
    data = member.data if member is not None else None
    return data is not None and any(hint in data for hint in _TEMPLATE_HINT_BYTES)


def _template_apis(text: str) -> set[str]:
    hints = {hint for hint in ("honeNumber", "<camera") if hint in text}
    if not hints:
        return set()
    if "<!--" in text:
        text = _TEMPLATE_COMMENT.sub("", text)
    return {api for hint, pattern, api in _TEMPLATE_USES if hint in hints and pattern.search(text)}


def _undeclared(uses: list[Use], manifest: AppManifest, dialect: Dialect | None) -> list[Finding]:
    findings, reported = [], set()
    declared = set(manifest.private_infos) | set(manifest.scopes)
    for use in uses:
        missing = [name for name in requirements(use.api, dialect) if name not in declared]
        if missing and (use.api, use.file) not in reported:
            reported.add((use.api, use.file))
            findings.append(_finding(
                "privacy.undeclared",
                f"{use.api} is used but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not declared in "
                "app.json.", use))
    return findings


def _unused(uses: list[Use], manifest: AppManifest, dialect: Dialect | None) -> list[Finding]:
    needed = {name for use in uses for name in requirements(use.api, dialect)}
    findings = []
    for name in list(dict.fromkeys(manifest.private_infos + list(manifest.scopes))):
        if (name in KNOWN_INFOS or name in KNOWN_SCOPES) and name not in needed:
            findings.append(manifest.finding(
                "privacy.unused", f"{name} is declared but no code uses it.", name))
    return findings


def _declaration_findings(manifest: AppManifest) -> list[Finding]:
    findings = [manifest.finding("privacy.missing_description", f"Permission {scope} has no 'desc'.", scope)
                for scope, description in manifest.scopes.items() if not description]
    findings += [manifest.finding("privacy.unknown_declaration", f"{info!r} is not a known private API.", info)
                 for info in manifest.private_infos if info not in KNOWN_INFOS]
    infos = set(manifest.private_infos)
    if "getFuzzyLocation" in infos and infos & PRECISE_LOCATION_INFOS:
        findings.append(manifest.finding(
            "privacy.conflicting_location",
            "requiredPrivateInfos declares getFuzzyLocation together with precise location APIs "
            f"({', '.join(sorted(infos & PRECISE_LOCATION_INFOS))}).", "getFuzzyLocation"))
    return findings


def _finding(code: str, message: str, use: Use) -> Finding:
    return new_finding(code, message, file=use.file, line=use.line, column=use.column)
