"""The registry of finding codes and risk signals, and the docs page generated from it.

Codes are part of the public contract (reports are stored, CI scripts grep them): never rename or
reuse one; add a new code instead. Run `python -m programs.scanning.docs > docs/finding-codes.md`
after editing this file (a test fails until the page matches the registry).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .codes_zh import EXPLANATIONS_ZH, MESSAGES_ZH, SIGNAL_EXPLANATIONS_ZH, TITLES_ZH
from .findings import Finding, Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE


@dataclass(frozen=True)
class FindingCode:
    """A stable finding code with its default severity, docs, and risk weight.

    `fatal` codes stop the scan: nothing after them can be trusted (or done safely).
    `weight` is added once to the risk score when the code occurs at all.
    """

    code: str
    severity: Severity
    title: str
    explanation: str
    weight: int = 0
    fatal: bool = False
    title_zh: str = ""  # attached from codes_zh
    message_zh: str = ""  # a template over the finding's params
    explanation_zh: str = ""  # attached from codes_zh


@dataclass(frozen=True)
class RiskSignal:
    """A risk-score contribution that is not a finding (a capability the program uses)."""

    code: str
    weight: int
    explanation: str
    explanation_zh: str = ""  # attached from codes_zh


_CODES = [
    # --- archive safety -------------------------------------------------------------------------
    FindingCode(
        "archive.not_zip", E, "Not a zip archive",
        "The upload is not a zip file (no zip signature or central directory). Upload the package as a "
        "`.zip` created by the IDE or by `zip -r`.", weight=10, fatal=True),
    FindingCode(
        "archive.corrupt", E, "Corrupt or truncated archive",
        "The zip cannot be read: it is truncated, its central directory is damaged, or a member fails its "
        "CRC check. Re-create the archive and upload it again.", weight=10, fatal=True),
    FindingCode(
        "archive.empty", E, "Empty archive",
        "The archive contains no files. Zip the mini-program folder itself, not an empty folder.",
        fatal=True),
    FindingCode(
        "archive.encrypted", E, "Encrypted member",
        "A member is password-protected, so it cannot be reviewed. Packages must not be encrypted; "
        "re-create the zip without a password.", weight=30),
    FindingCode(
        "archive.path_traversal", E, "Member name escapes the package",
        "A member name contains a `..` component, which would write outside the destination folder when "
        "extracted (\"zip slip\"). Use plain relative paths.", weight=50),
    FindingCode(
        "archive.absolute_path", E, "Absolute member name",
        "A member name starts with `/` (or `\\\\`). Member names must be relative to the package root.",
        weight=40),
    FindingCode(
        "archive.backslash", E, "Backslash in member name",
        "A member name uses `\\\\` as a separator, which some tools treat as a folder separator and others "
        "as part of the name. Create the zip with a tool that writes `/` separators.", weight=10),
    FindingCode(
        "archive.bad_name", E, "Invalid member name",
        "A member name is not valid UTF-8, contains control characters or invisible or direction-changing "
        "characters (Unicode format characters such as U+202E or U+200B, which make `utils/<U+202E>gnp.js` "
        "read as `utils/sj.png`), a drive letter (`C:`), empty or `.` components, or is too long. Rename "
        "the file to a plain name.", weight=20),
    FindingCode(
        "archive.symlink", E, "Symbolic link",
        "A member is a symbolic link, which could point anywhere on the reviewer's or host's disk. Replace "
        "the link with the file it points to.", weight=40),
    FindingCode(
        "archive.special_file", E, "Device, FIFO or socket",
        "A member is a device node, named pipe or socket. Only regular files and folders are allowed.",
        weight=40),
    FindingCode(
        "archive.duplicate_name", E, "Duplicate member name",
        "Two members have the same name, so different tools would extract different content. Remove the "
        "duplicate and re-create the zip.", weight=30),
    FindingCode(
        "archive.case_collision", W, "Names differ only by case",
        "Two members differ only by letter case; they overwrite each other on case-insensitive file systems "
        "(Windows, macOS). Rename one of them."),
    FindingCode(
        "archive.compression_method", E, "Unsupported compression method",
        "A member uses a compression method other than stored or deflated (e.g. bzip2, LZMA, Deflate64). "
        "Host platforms only read stored and deflated members; re-create the zip with default settings.",
        weight=10),
    FindingCode(
        "archive.too_many_entries", E, "Too many entries",
        "The archive has more members than the configured limit (5,000 by default). Remove unused files "
        "or bundle them.", weight=20, fatal=True),
    FindingCode(
        "archive.too_large", E, "Uncompressed size too large",
        "The members' total uncompressed size exceeds the configured limit (100 MB by default). This is "
        "how zip bombs are refused before anything is inflated.", weight=50, fatal=True),
    FindingCode(
        "archive.ratio", E, "Suspicious compression ratio",
        "A large member (or the whole archive) expands more than the configured ratio (100:1 by default), "
        "the signature of a zip bomb. Real mini-program files never compress that well.",
        weight=50, fatal=True),
    FindingCode(
        "archive.overlapping_entries", E, "Overlapping members",
        "Two central-directory entries point into the same compressed bytes, a technique used by "
        "non-recursive zip bombs. Re-create the archive with a standard tool.", weight=50, fatal=True),
    FindingCode(
        "archive.size_mismatch", E, "Declared size differs from real size",
        "A member inflates to a different number of bytes than its header declares. Headers that lie are "
        "a zip-bomb technique; the scan stops at the first one.", weight=50, fatal=True),
    FindingCode(
        "archive.nested_archive", E, "Archive inside the package",
        "The package contains another archive (zip, jar, apk, gz, 7z, rar, tar ...). Nested archives "
        "cannot be reviewed and are a zip-bomb vector; ship the files themselves.", weight=20),
    # --- dialect and structure ------------------------------------------------------------------
    FindingCode(
        "structure.unknown_dialect", E, "Unknown mini-program dialect",
        "No Alipay (`.axml`, `mini.project.json`), WeChat (`.wxml`, `project.config.json`), Douyin "
        "(`.ttml`) or Baidu (`.swan`, `project.swan.json`) files were found. Zip the project folder, "
        "not its parent or a build of something else."),
    FindingCode(
        "structure.mixed_dialect", W, "Files of several dialects",
        "The package mixes template files of more than one dialect (e.g. `.axml` and `.wxml`). Only the "
        "detected dialect's files are used by the host; remove the others."),
    FindingCode(
        "structure.project_config_invalid", E, "Invalid project file",
        "The project file (`mini.project.json`, `project.config.json`, `project.swan.json`) is not valid "
        "JSON, or its root folder setting (`miniprogramRoot`) is absolute, escapes the package or does "
        "not exist."),
    FindingCode(
        "structure.app_json_missing", E, "app.json missing",
        "There is no `app.json` in the mini-program root folder. Every mini-program needs one listing "
        "its pages."),
    FindingCode(
        "structure.app_json_invalid", E, "app.json is not valid JSON",
        "`app.json` cannot be parsed. The line and column point at the first syntax error. Comments are "
        "only accepted in dialects whose tools accept them (Alipay)."),
    FindingCode(
        "structure.app_json_not_object", E, "app.json is not an object",
        "The top level of `app.json` must be a JSON object (`{...}`) with at least a `pages` list."),
    FindingCode(
        "structure.app_json_too_deep", E, "JSON nested too deeply",
        "A JSON file nests arrays/objects deeper than the configured limit (20 by default). Real "
        "configuration never needs that; it is refused to keep parsing cheap."),
    FindingCode(
        "structure.field_invalid", E, "app.json field has the wrong shape",
        "A field of `app.json` has the wrong type for this dialect (e.g. `pages` is not a list of "
        "strings, `subPackages` entries lack `root`)."),
    FindingCode(
        "structure.pages_missing", E, "No pages",
        "`app.json` has no `pages` list, or it is empty. The first page is the program's entry page."),
    FindingCode(
        "structure.page_path_invalid", E, "Invalid page path",
        "A page path must be relative to the root, without a leading `/`, without `..` and without a "
        "file extension, e.g. `pages/index/index`."),
    FindingCode(
        "structure.page_duplicate", W, "Page listed twice",
        "The same page appears more than once in `pages` or a subpackage. Remove the duplicate."),
    FindingCode(
        "structure.page_missing_template", E, "Page template missing",
        "A page listed in `app.json` has no template file (`.axml`, `.wxml`, `.ttml` or `.swan`, by "
        "dialect) in the package."),
    FindingCode(
        "structure.page_missing_script", E, "Page script missing",
        "A page listed in `app.json` has no `.js` (or `.ts`) file in the package."),
    FindingCode(
        "structure.subpackage_invalid", E, "Invalid subpackage",
        "A subpackage must have a relative `root` folder and a `pages` list of paths relative to that "
        "root."),
    FindingCode(
        "structure.subpackage_missing", E, "Subpackage folder missing",
        "A subpackage's `root` folder has no files in the package."),
    FindingCode(
        "structure.subpackage_nested", E, "Subpackage inside another",
        "A subpackage root lies inside another subpackage's root (or is the same folder). Subpackage "
        "roots must be disjoint."),
    FindingCode(
        "structure.main_page_in_subpackage", E, "Main page inside a subpackage folder",
        "A page listed in the main `pages` lies inside a subpackage root, so it would be shipped in the "
        "subpackage. Move it, or list it in that subpackage."),
    FindingCode(
        "structure.entry_in_subpackage", E, "Entry page not in the main package",
        "The entry page (the first of `pages`, or `entryPagePath`) must belong to the main package."),
    FindingCode(
        "structure.tabbar_page_in_subpackage", E, "tabBar page not in the main package",
        "Every tabBar page must be a page of the main package; hosts cannot open a subpackage page "
        "from the tab bar."),
    FindingCode(
        "structure.theme_missing", E, "Theme file missing or invalid",
        "`themeLocation` names a file that is missing or is not a JSON object with `light`/`dark` "
        "sections."),
    FindingCode(
        "structure.theme_variable_undefined", E, "Theme variable undefined",
        "A value such as `@navBgColor` is used in `app.json` but not defined in both the `light` and "
        "`dark` sections of the theme file (or no `themeLocation` is set)."),
    # --- sizes ----------------------------------------------------------------------------------
    FindingCode(
        "size.main_too_large", E, "Main package too large",
        "The files shipped in the main package exceed the host's limit for this dialect (2 MB by "
        "default, 4 MB for Douyin). Move pages into subpackages or images to a CDN."),
    FindingCode(
        "size.subpackage_too_large", E, "Subpackage too large",
        "A subpackage exceeds the per-subpackage limit (2 MB by default)."),
    FindingCode(
        "size.total_too_large", E, "Package too large",
        "All shipped files together exceed the host's total limit (8 MB Alipay, 30 MB WeChat, 16 MB "
        "Douyin by default)."),
    FindingCode(
        "size.over_before_upload", W, "Over the limit only before the IDE shrinks it",
        "A part of the package is over its size limit as zipped, but the project's upload settings in "
        "`project.config.json` shrink it: `setting.minified` minifies scripts (a quarter of their bytes is "
        "assumed at most) and `setting.ignoreUploadUnusedFiles` leaves out images and media no file names. "
        "The excess is within what those settings remove, so the uploaded package is likely to fit; check "
        "the size the IDE reports, and move assets out if it does not."),
    # --- tabBar and images ----------------------------------------------------------------------
    FindingCode(
        "tabbar.invalid", E, "Invalid tabBar",
        "The tabBar does not have this dialect's shape: Alipay uses `tabBar.items[]` with `pagePath`, "
        "`name`, `icon`, `activeIcon`; WeChat, Douyin and Baidu use `tabBar.list[]` with `pagePath`, "
        "`text`, `iconPath`, `selectedIconPath`."),
    FindingCode(
        "tabbar.too_few", E, "Too few tabs",
        "A tabBar needs at least 2 tabs. Add a tab, or remove `tabBar` and navigate between pages instead."),
    FindingCode(
        "tabbar.too_many", E, "Too many tabs",
        "A tabBar can have at most 5 tabs. Merge tabs or move the extra entries into a page."),
    FindingCode(
        "tabbar.page_unknown", E, "tabBar page not listed",
        "A tab's `pagePath` is not one of the pages listed in `app.json`. Add the page to `pages` or fix the "
        "path (no leading `/`, no extension)."),
    FindingCode(
        "tabbar.icon_missing", E, "Tab icon missing",
        "A tab icon path does not exist in the package (after resolving theme variables)."),
    FindingCode(
        "tabbar.icon_format", E, "Tab icon not a PNG/JPEG",
        "Tab icons must be PNG or JPEG images that can be decoded; network images and other formats "
        "are not accepted by hosts."),
    FindingCode(
        "tabbar.icon_too_large", E, "Tab icon file too large",
        "A tab icon is larger than the limit (40 KB by default). Compress it or reduce its dimensions."),
    FindingCode(
        "tabbar.icon_dimensions", W, "Tab icon dimensions",
        "Hosts draw tab icons at about the size their docs recommend (81x81 pixels; 60x60 for Alipay). An "
        "icon more than 20% smaller is blown up and looks "
        "blurry; one that is not square (within 20%) is stretched. Larger square icons are scaled down "
        "and stay sharp (their file size is capped by `tabbar.icon_too_large`)."),
    FindingCode(
        "image.unreadable", W, "Image cannot be decoded",
        "An image file cannot be opened by the image library: it is truncated, mislabelled or in an "
        "unsupported format. It will show as broken on the device."),
    FindingCode(
        "image.bomb", E, "Image decompression bomb",
        "An image declares more pixels than the limit (25 megapixels by default); decoding it would "
        "exhaust memory on the device. Resize it.", weight=20),
    # --- privacy --------------------------------------------------------------------------------
    FindingCode(
        "privacy.undeclared", E, "Private API not declared in app.json",
        "WeChat-dialect code calls a location API that `app.json` does not declare: the eight location "
        "APIs (`getLocation`, `getFuzzyLocation`, `onLocationChange`, `startLocationUpdate`, "
        "`startLocationUpdateBackground`, `chooseLocation`, `choosePoi`, `chooseAddress`) must be listed in "
        "`requiredPrivateInfos`, and the precise ones that ask for the user's location (`getLocation`, "
        "`startLocationUpdate`, `startLocationUpdateBackground`) need a `permission` `scope.userLocation` "
        "`desc`; WeChat fails the call otherwise. "
        "Camera, recording, Bluetooth, contacts, the phone number … are not declared in `app.json` (WeChat "
        "asks at run time), and Alipay, Douyin and Baidu need no `app.json` declaration: those uses are "
        "checked against the program's privacy declaration instead (`privacy.not_in_declaration`).",
        weight=20),
    FindingCode(
        "privacy.unused", N, "Declared in app.json but unused",
        "A private API or permission scope is declared in `app.json` but no code uses it. Remove the "
        "declaration so users are not asked for it.", weight=2),
    FindingCode(
        "privacy.not_in_declaration", E, "Personal information not in the privacy declaration",
        "Code uses a kind of personal information (location, phone number, camera, microphone, album, "
        "Bluetooth, contacts, clipboard …) that the program's privacy declaration in the console does not "
        "list. Add it on the program's privacy page with the purpose users will read (as WeChat's "
        "用户隐私保护指引), then upload the package again.", weight=20),
    FindingCode(
        "privacy.declaration_unused", N, "Declared personal information unused",
        "The program's privacy declaration lists a kind of personal information that no code in this "
        "package uses. Remove it from the declaration if the program no longer needs it.", weight=0),
    FindingCode(
        "privacy.missing_description", E, "Permission without description",
        "A `permission` scope has no non-empty `desc`. Hosts show the description to the user when "
        "asking for the permission.", weight=5),
    FindingCode(
        "privacy.conflicting_location", E, "Fuzzy and precise location both declared",
        "`requiredPrivateInfos` declares `getFuzzyLocation` together with a precise location API; "
        "WeChat refuses to compile such a program. Declare one kind only.", weight=5),
    FindingCode(
        "privacy.unknown_declaration", W, "Unknown private info",
        "`requiredPrivateInfos` contains a name that is not a known private API. Check the spelling.",
        weight=2),
    # --- network --------------------------------------------------------------------------------
    FindingCode(
        "network.not_allowed", E, "Domain not on the allowlist",
        "A URL passed to a request/upload/download/socket API targets a host that is not on the "
        "program's server-domain allowlist for that kind. WeChat-dialect programs match the exact "
        "host[:port]; Alipay-dialect programs match the registrable domain. Add the domain in the "
        "console or change the URL.", weight=15),
    FindingCode(
        "network.insecure", E, "Insecure URL",
        "A request/upload/download URL uses `http://` or a socket uses `ws://`. Hosts only allow "
        "`https://` and `wss://`.", weight=15),
    FindingCode(
        "network.ip_literal", E, "IP address or localhost",
        "A network API targets an IP address or `localhost`. Hosts only allow registered domain "
        "names.", weight=20),
    FindingCode(
        "network.invalid_url", W, "Unusable URL",
        "A network API is given a literal URL that is relative or has no host; it fails at runtime.",
        weight=2),
    # --- code risks -----------------------------------------------------------------------------
    FindingCode(
        "code.eval", E, "eval or string timer",
        "Code calls `eval(...)`, reaches it another way (`(0, eval)(s)`, `eval.call(...)`, "
        "`window['ev' + 'al']`, an alias), or passes a string to `setTimeout`/`setInterval`. Hosts forbid "
        "executing strings as code; parse data with `JSON.parse` and pass functions to timers.",
        weight=25),
    FindingCode(
        "code.new_function", E, "new Function",
        "Code builds a function from a string with `new Function(...)`/`Function(...)`, or reaches the "
        "constructor another way (`const F = Function`, `Function.call(...)`, `g['Func' + 'tion']`). This "
        "is `eval` under another name and is forbidden.", weight=25),
    FindingCode(
        "code.dynamic_load", W, "Dynamic code loading",
        "`require`/`import()` is called with a computed module name, or `importScripts` is used. "
        "Reviewers cannot tell what code runs; use literal module paths.", weight=10),
    FindingCode(
        "code.remote_code", E, "Remote code loading",
        "Code loads scripts or subpackages from a remote URL. All code must be in the reviewed package.",
        weight=40),
    FindingCode(
        "code.minified", W, "Minified code without source map",
        "A script is minified (very long lines, little whitespace) and the package has no source map for "
        "it. Include the readable source or a `.map` file so reviewers can read it.", weight=5),
    FindingCode(
        "code.obfuscated", W, "Obfuscated code",
        "A script looks machine-obfuscated (`_0x` identifiers, dense `\\\\x` escapes). Obfuscated code "
        "cannot be reviewed and is held for manual review.", weight=30),
    # --- secrets --------------------------------------------------------------------------------
    FindingCode(
        "secret.private_key", E, "Private key in package",
        "A PEM/OpenSSH/PGP private key is in the package. Anyone who downloads the program can read it: "
        "revoke the key, issue a new one and keep it on your server.", weight=40),
    FindingCode(
        "secret.cloud_key", E, "Cloud access key in package",
        "An AWS (`AKIA...`), Alibaba Cloud (`LTAI...`) or Tencent Cloud (`AKID...`) access key ID is in "
        "the package together with a string shaped like its secret (within a few lines). Anyone can "
        "call the cloud API as you: disable the key in the cloud console now and call the cloud API from "
        "your server instead.", weight=40),
    FindingCode(
        "secret.cloud_key_id", N, "Cloud access key ID without a secret",
        "An AWS, Alibaba Cloud or Tencent Cloud access key ID is in the package with no secret near it, "
        "typically inside a presigned URL (`OSSAccessKeyId=LTAI...&Expires=...&Signature=...`). The ID "
        "alone is not a credential: it names the account and is public by design in presigned URLs. "
        "Check that the secret itself is not shipped anywhere.", weight=0),
    FindingCode(
        "secret.service_token", E, "Service token in package",
        "A Stripe live secret or restricted key (`sk_live_...`, `rk_live_...`) or a GitHub token (`ghp_`, "
        "`gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`) is in the package. Anyone who downloads the program "
        "can use it as you: revoke it in the service's dashboard now and call the service from your server. "
        "Test keys (`sk_test_`) and publishable keys (`pk_live_`) are not reported.", weight=40),
    FindingCode(
        "secret.url_password", E, "Password in a URL",
        "A URL in the package carries a user name and password (`scheme://user:password@host`), typically a "
        "database, cache or broker connection string. Anyone can read it: change the password and keep such "
        "URLs on your server. Placeholders (`password`, `****`, `${DB_PASSWORD}`) are not reported.", weight=40),
    FindingCode(
        "secret.org_api_key", E, "Console API key in package",
        "One of your organisation's console API keys is in the package. Revoke it in the console's API "
        "keys page immediately and create a new one; never ship API keys to devices.", weight=40),
    # --- the scan itself ------------------------------------------------------------------------
    FindingCode(
        "scan.timeout", E, "Scan time limit reached",
        "The scan did not finish within its time limit, so the package could not be fully checked. "
        "Reduce the number or size of files, or contact support if this persists.",
        weight=50, fatal=True),
    FindingCode(
        "scan.gave_up", E, "Scan abandoned",
        "The worker tried to scan the package several times and never finished (it was restarted or ran out "
        "of resources). This code is written by the worker, not by the checks. Upload the package again; "
        "contact support if it happens twice.", weight=20, fatal=True),
    FindingCode(
        "scan.internal_error", E, "Scanner error",
        "A check failed unexpectedly, so the package could not be fully verified. This is a bug in the "
        "console; contact support with the version number.", weight=20),
    FindingCode(
        "scan.member_skipped", N, "File too large to inspect",
        "A file is larger than the content-inspection limit (10 MB by default); it was hashed and "
        "measured but its content was not checked."),
    FindingCode(
        "scan.findings_truncated", N, "More findings not shown",
        "A single code produced more findings than the report keeps (100 by default); the rest are "
        "counted in this notice."),
]

_CODES = [
    replace(entry, title_zh=TITLES_ZH[entry.code], message_zh=MESSAGES_ZH[entry.code],
            explanation_zh=EXPLANATIONS_ZH[entry.code])
    for entry in _CODES
]
FINDING_CODES: dict[str, FindingCode] = {entry.code: entry for entry in _CODES}

RISK_SIGNALS: dict[str, RiskSignal] = {
    signal.code: replace(signal, explanation_zh=SIGNAL_EXPLANATIONS_ZH[signal.code])
    for signal in [
        RiskSignal("signal.location", 10, "The program declares or uses location APIs."),
        RiskSignal("signal.phone_number", 10, "The program asks for the user's phone number."),
        RiskSignal("signal.camera_or_microphone", 5, "The program uses the camera or records audio."),
        RiskSignal(
            "signal.many_domains", 2,
            "Per distinct server domain in code beyond the first 3, capped at 10 times the weight."),
        RiskSignal(
            "signal.near_size_limit", 5, "The shipped size is above 90% of the host's total limit."),
    ]
}


def new_finding(
    code: str, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None,
    params: dict[str, object] | None = None,
) -> Finding:
    """Build a finding with the code's registered severity (unknown codes are a programming error).

    `params` are the values the code's Chinese template (`messages.MESSAGES_ZH`) fills in.
    """
    values = {key: str(value) for key, value in (params or {}).items()}
    return Finding(code, FINDING_CODES[code].severity, message, file, line, column, values)
