"""Personal information used in code must be declared where the host and the console expect it.

Two declarations are checked, each by its own rules:

* **The dialect's own file.** Only WeChat declares private APIs in `app.json`: the eight location
  APIs go in `requiredPrivateInfos` (since 2022-07-14 they fail otherwise), and the precise ones that
  ask for `scope.userLocation` need its `permission` `desc` ("require permission desc"). Camera, recording, Bluetooth, contacts, the phone number … are not
  declared in WeChat's `app.json` at all: WeChat asks the user at run time. Douyin and Baidu accept
  an optional `permission` `desc` that only sets the subtitle of the location prompt, and Alipay's
  `app.json` has no such field; none of them fail without it.
* **The program's privacy declaration in the console** (`ScanConfig.privacy_declaration`, as
  WeChat's 用户隐私保护指引): every kind of personal information code uses must be listed with a
  purpose, in every dialect. `None` means the declaration is unknown (a local `scanpackage` run),
  and that check is skipped.

Declarations nobody uses are notices in both places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import personal_info as kinds
from .appjson import AppManifest
from .codes import new_finding
from .dialects import Dialect
from .findings import Finding
from .jsontext import line_and_column
from .jssource import Script, track_apis
from .package import TEMPLATE_EXTENSIONS, Package, extension
from .personal_info import PERSONAL_INFO_KINDS


@dataclass(frozen=True)
class PrivateApi:
    kind: str  # the personal-information kind the program's privacy declaration must list
    info: str | None = None  # WeChat's requiredPrivateInfos entry
    desc_scope: str | None = None  # the permission scope whose desc WeChat requires
    scopes: tuple[str, ...] = ()  # authorization scopes it relates to (for "declared but unused")
    signal: str = ""  # the risk signal its use raises


LOCATION = "signal.location"
PHONE = "signal.phone_number"
DEVICE = "signal.camera_or_microphone"
USER_LOCATION, FUZZY_LOCATION = "scope.userLocation", "scope.userFuzzyLocation"

PRIVATE_APIS: dict[str, PrivateApi] = {
    "getFuzzyLocation": PrivateApi(kinds.LOCATION, "getFuzzyLocation", None, (FUZZY_LOCATION,), LOCATION),
    "getLocation": PrivateApi(kinds.LOCATION, "getLocation", USER_LOCATION, (USER_LOCATION,), LOCATION),
    "onLocationChange": PrivateApi(kinds.LOCATION, "onLocationChange", None, (USER_LOCATION,), LOCATION),
    "startLocationUpdate": PrivateApi(kinds.LOCATION, "startLocationUpdate", USER_LOCATION, (USER_LOCATION,), LOCATION),
    "startLocationUpdateBackground": PrivateApi(
        kinds.LOCATION, "startLocationUpdateBackground", USER_LOCATION,
        (USER_LOCATION, "scope.userLocationBackground"), LOCATION),
    "chooseLocation": PrivateApi(kinds.CHOSEN_LOCATION, "chooseLocation", None, (USER_LOCATION,), LOCATION),
    "choosePoi": PrivateApi(kinds.CHOSEN_LOCATION, "choosePoi", None, (USER_LOCATION,), LOCATION),
    "chooseAddress": PrivateApi(kinds.ADDRESS, "chooseAddress", None, ("scope.address",)),
    "getPhoneNumber": PrivateApi(kinds.PHONE_NUMBER, scopes=("scope.phoneNumber",), signal=PHONE),
    "startRecord": PrivateApi(kinds.MICROPHONE, scopes=("scope.record",), signal=DEVICE),
    "getRecorderManager": PrivateApi(kinds.MICROPHONE, scopes=("scope.record",), signal=DEVICE),
    "createCameraContext": PrivateApi(kinds.CAMERA, scopes=("scope.camera",), signal=DEVICE),
    "chooseImage": PrivateApi(kinds.ALBUM, scopes=("scope.album",)),
    "chooseMedia": PrivateApi(kinds.ALBUM, scopes=("scope.album",)),
    "chooseVideo": PrivateApi(kinds.ALBUM, scopes=("scope.album",)),
    "saveImageToPhotosAlbum": PrivateApi(kinds.ALBUM_WRITE, scopes=("scope.writePhotosAlbum", "scope.album")),
    "saveVideoToPhotosAlbum": PrivateApi(kinds.ALBUM_WRITE, scopes=("scope.writePhotosAlbum", "scope.album")),
    "addPhoneContact": PrivateApi(kinds.CONTACTS, scopes=("scope.addPhoneContact",)),
    "addPhoneCalendar": PrivateApi(kinds.CALENDAR, scopes=("scope.addPhoneCalendar",)),
    "addPhoneRepeatCalendar": PrivateApi(kinds.CALENDAR, scopes=("scope.addPhoneCalendar",)),
    "openBluetoothAdapter": PrivateApi(kinds.BLUETOOTH, scopes=("scope.bluetooth",)),
    "getClipboardData": PrivateApi(kinds.CLIPBOARD),
    "getWeRunData": PrivateApi(kinds.RUN_DATA, scopes=("scope.werun",)),
}
_PRIVATE_NAMES = track_apis(PRIVATE_APIS)
KNOWN_INFOS = frozenset(api.info for api in PRIVATE_APIS.values() if api.info)
KNOWN_SCOPES = frozenset(scope for api in PRIVATE_APIS.values() for scope in api.scopes)
PRECISE_LOCATION_INFOS = frozenset({"getLocation", "onLocationChange", "startLocationUpdate",
                                    "startLocationUpdateBackground"})

NAMESPACES = ("my", "wx", "tt", "swan")
# (substring that must be present, pattern, API it stands for); patterns start with a literal.
# (hint, pattern, the API it stands for, how a finding names it: the template's own words, not an API
# call the file does not make).
_TEMPLATE_USES = [
    ("honeNumber", re.compile(r"open-type\s*=\s*[\"']getPhoneNumber"), "getPhoneNumber", 'open-type="getPhoneNumber"'),
    ("honeNumber", re.compile(r"scope\s*=\s*[\"']phoneNumber[\"']"), "getPhoneNumber",  # Alipay getAuthorize
     'scope="phoneNumber"'),
    ("<camera", re.compile(r"<camera\b"), "createCameraContext", "<camera>"),
]
_TEMPLATE_HINT_BYTES = tuple({hint.encode() for hint, *_ in _TEMPLATE_USES})
# An unterminated comment runs to the end, so a hostile template cannot make this quadratic.
_TEMPLATE_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)


@dataclass
class Use:
    api: str
    file: str
    line: int | None
    column: int | None
    shown: str = ""  # how findings name the use, when not by its API (a template's element or attribute)

    @property
    def named(self) -> str:
        return self.shown or self.api

    @property
    def kind(self) -> str:
        return PRIVATE_APIS[self.api].kind


@dataclass
class PrivacyResult:
    findings: list[Finding] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    personal_info: list[str] = field(default_factory=list)  # kinds code uses, in catalogue order
    signals: set[str] = field(default_factory=set)


def check_privacy(package: Package, scripts: list[Script], manifest: AppManifest | None,
                  dialect: Dialect | None, declaration: dict[str, str] | None = None) -> PrivacyResult:
    uses = _script_uses(scripts, dialect) + _template_uses(package)
    used_kinds = {use.kind for use in uses}
    result = PrivacyResult(
        signals={PRIVATE_APIS[use.api].signal for use in uses} - {""},
        personal_info=[kind for kind in PERSONAL_INFO_KINDS if kind in used_kinds])
    if declaration is not None:
        result.findings += _console_findings(uses, declaration)
    if manifest is None:
        return result
    result.permissions = list(dict.fromkeys(manifest.private_infos + list(manifest.scopes)))
    if any(info in PRECISE_LOCATION_INFOS | {"getFuzzyLocation"} for info in manifest.private_infos):
        result.signals.add(LOCATION)
    result.findings += (_undeclared(uses, manifest, dialect) + _unused(uses, manifest)
                        + _declaration_findings(manifest))
    return result


def requirements(api: str, dialect: Dialect | None) -> list[str]:
    """What one use of `api` needs in the dialect's app.json: only WeChat declares private APIs there."""
    if dialect is None or not dialect.private_infos:
        return []
    entry = PRIVATE_APIS[api]
    return [name for name in (entry.info, entry.desc_scope) if name]


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
            uses += _template_apis(name, package.text(name) or "")
    return uses


def _may_use_apis(package: Package, name: str) -> bool:
    """Whether the raw bytes hold a hint, so most templates are never decoded.

    The hints are ASCII, and decoding (even with replacement) keeps every ASCII byte, so a hint is
    in the bytes exactly when it is in the text.
    """
    member = package.members.get(name)
    data = member.data if member is not None else None
    return data is not None and any(hint in data for hint in _TEMPLATE_HINT_BYTES)


def _template_apis(name: str, text: str) -> list[Use]:
    """The first use of each kind in a template, at its line and column (so a reviewer can jump to it)."""
    hints = {hint for hint in ("honeNumber", "<camera") if hint in text}
    if not hints:
        return []
    if "<!--" in text:  # blanked, not removed, so that offsets stay the file's own
        text = _TEMPLATE_COMMENT.sub(lambda comment: re.sub(r"[^\n]", " ", comment.group()), text)
    uses = {}
    for hint, pattern, api, shown in _TEMPLATE_USES:
        match = pattern.search(text) if hint in hints and api not in uses else None
        if match:
            uses[api] = Use(api, name, *line_and_column(text, match.start()), shown)
    return list(uses.values())


def _undeclared(uses: list[Use], manifest: AppManifest, dialect: Dialect | None) -> list[Finding]:
    findings, reported = [], set()
    declared = set(manifest.private_infos) | set(manifest.scopes)
    for use in uses:
        missing = [name for name in requirements(use.api, dialect) if name not in declared]
        if missing and (use.api, use.file) not in reported:
            reported.add((use.api, use.file))
            findings.append(_finding(
                "privacy.undeclared",
                f"{use.named} is used but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not declared in "
                "app.json.", use, api=use.named, missing=", ".join(missing)))
    return findings


def _unused(uses: list[Use], manifest: AppManifest) -> list[Finding]:
    used_infos = {PRIVATE_APIS[use.api].info for use in uses}
    used_scopes = {scope for use in uses for scope in PRIVATE_APIS[use.api].scopes}
    findings = []
    for name in list(dict.fromkeys(manifest.private_infos + list(manifest.scopes))):
        known = name in KNOWN_INFOS or name in KNOWN_SCOPES
        if known and name not in used_infos and name not in used_scopes:
            findings.append(manifest.finding(
                "privacy.unused", f"{name} is declared but no code uses it.", name, params={"name": name}))
    return findings


def _declaration_findings(manifest: AppManifest) -> list[Finding]:
    findings = [manifest.finding("privacy.missing_description", f"Permission {scope} has no 'desc'.", scope,
                                 params={"scope": scope})
                for scope, description in manifest.scopes.items() if not description]
    findings += [manifest.finding("privacy.unknown_declaration", f"{info!r} is not a known private API.", info,
                                  params={"name": info})
                 for info in manifest.private_infos if info not in KNOWN_INFOS]
    infos = set(manifest.private_infos)
    if "getFuzzyLocation" in infos and infos & PRECISE_LOCATION_INFOS:
        precise = ", ".join(sorted(infos & PRECISE_LOCATION_INFOS))
        findings.append(manifest.finding(
            "privacy.conflicting_location",
            f"requiredPrivateInfos declares getFuzzyLocation together with precise location APIs ({precise}).",
            "getFuzzyLocation", params={"apis": precise}))
    return findings


def _console_findings(uses: list[Use], declaration: dict[str, str]) -> list[Finding]:
    """Used-but-undeclared kinds are errors (once per kind and file); declared-but-unused ones notices."""
    findings, reported = [], set()
    for use in uses:
        if use.kind not in declaration and (use.kind, use.file) not in reported:
            reported.add((use.kind, use.file))
            label = PERSONAL_INFO_KINDS[use.kind]
            findings.append(_finding(
                "privacy.not_in_declaration",
                f"{use.named} uses {label.label.lower()}, which the program's privacy declaration does not list.",
                use, api=use.named, kind=use.kind))
    used = {use.kind for use in uses}
    for kind in declaration:
        if kind in PERSONAL_INFO_KINDS and kind not in used:
            findings.append(new_finding(
                "privacy.declaration_unused",
                f"The privacy declaration lists {PERSONAL_INFO_KINDS[kind].label.lower()}, but no code uses it.",
                params={"kind": kind}))
    return findings


def _finding(code: str, message: str, use: Use, **params: str) -> Finding:
    return new_finding(code, message, file=use.file, line=use.line, column=use.column, params=params)
