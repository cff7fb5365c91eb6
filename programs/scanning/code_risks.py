"""Code risks: eval and its relatives, dynamic or remote code loading, minified or obfuscated blobs.

Patterns run on the masked source (see `jssource`), so comments and string contents never match.
"""

from __future__ import annotations

import posixpath
import re

from .findings import Finding
from .jssource import STRING_FILL, Script
from .package import Package

_RISKY = re.compile(
    r"""
      (?P<eval>(?<![\w$.])eval\s*\(|\b(?:window|globalThis|self|global)\s*\.\s*eval\s*\()
    | (?P<timer>(?<![\w$.])set(?:Timeout|Interval)\s*\(\s*['"`])
    | (?P<function>(?<![\w$.])(?:new\s+)?Function\s*\()
    | (?P<loader>(?<![\w$.])(?:require|import)\s*\()
    | (?P<scripts>(?<![\w$.])importScripts\s*\()
    | (?P<subpackage>\.\s*(?:loadSubpackage|loadSubPackage|preloadSubpackage)\s*\()
    """,
    re.VERBOSE,
)
# Cheap substring test that lets most files skip masking entirely.
_HINTS = ("eval", "Function", "require", "import", "Subpackage", "SubPackage", "setTimeout", "setInterval")
_DEFINITION_BEFORE = re.compile(r"function\s*$")
_REMOTE = re.compile(r"""['"`]\s*(?:https?:)?//""")

MINIFIED_MIN_CHARS = 2048
MINIFIED_LINE_CHARS = 1000
MINIFIED_MAX_WHITESPACE = 0.08
_LONG_LINE = re.compile(r"[^\n]{%d}" % MINIFIED_LINE_CHARS)
_OBFUSCATED_NAME = re.compile(r"\b_0x[0-9a-f]{4,6}\b")
OBFUSCATED_MIN_NAMES = 20
OBFUSCATED_ESCAPE_DENSITY = 1 / 50  # one `\x` escape per 50 characters
_SOURCE_MAP = re.compile(r"[#@]\s*sourceMappingURL\s*=\s*(\S+)")


def check_code(scripts: list[Script], package: Package) -> list[Finding]:
    findings = []
    for script in scripts:
        if any(hint in script.text for hint in _HINTS):
            findings += _pattern_findings(script)
        blob = _blob_finding(script, package)
        if blob is not None:
            findings.append(blob)
    return findings


def _pattern_findings(script: Script) -> list[Finding]:
    findings = []
    for match in _RISKY.finditer(script.masked):
        finding = _classify(script, match)
        if finding is not None:
            findings.append(finding)
    return findings


def _classify(script: Script, match: re.Match) -> Finding | None:
    kind, offset = match.lastgroup, match.start()
    if kind == "eval":
        return script.finding("code.eval", "eval() executes a string as code.", offset)
    if kind == "timer":
        return script.finding("code.eval", "A string passed to setTimeout/setInterval is executed as code.", offset)
    if kind == "function":
        return script.finding("code.new_function", "Function(...) builds code from a string.", offset)
    arguments = _arguments(script, match.end())
    if kind == "subpackage":
        return _remote(script, offset, "loads a subpackage from a remote URL") if _REMOTE.search(arguments) else None
    if kind == "scripts":
        return _remote(script, offset, "imports remote scripts") if _REMOTE.search(arguments) else script.finding(
            "code.dynamic_load", "importScripts() loads code at runtime.", offset)
    return _loader_finding(script, match, arguments)


def _loader_finding(script: Script, match: re.Match, arguments: str) -> Finding | None:
    """`require('./x')` is fine; a computed name is dynamic; a URL is remote; a definition is neither."""
    offset = match.start()
    if _DEFINITION_BEFORE.search(script.masked, max(0, offset - 20), offset):
        return None
    if _REMOTE.search(arguments):
        return _remote(script, offset, "loads code from a URL")
    if _is_static_literal(script, match.end()):
        return None
    return script.finding("code.dynamic_load", f"{match.group().split('(')[0].strip()}() of a computed module name.",
                          offset)


def _arguments(script: Script, start: int) -> str:
    """The original text of a call's arguments (up to the matching parenthesis, at most 500 chars)."""
    depth = 1
    for match in re.finditer(r"[()]", script.masked[start:start + 500]):
        depth += 1 if match.group() == "(" else -1
        if depth == 0:
            return script.text[start:start + match.start()]
    return script.text[start:start + 500]


def _is_static_literal(script: Script, start: int) -> bool:
    """True when the argument is one string literal without `${}` placeholders."""
    masked = script.masked
    at = len(masked[start:]) - len(masked[start:].lstrip()) + start
    quote = masked[at:at + 1]
    if quote not in ("'", '"', "`"):
        return False
    end = masked.find(quote, at + 1)
    if end < 0 or masked[at + 1:end].strip(STRING_FILL + "\n"):
        return False
    following = masked[end + 1:end + 40].lstrip()[:1]
    return following in (")", ",") and "${" not in script.text[at:end]


def _remote(script: Script, offset: int, what: str) -> Finding:
    return script.finding("code.remote_code", f"Code {what}; all code must be in the package.", offset)


def _blob_finding(script: Script, package: Package) -> Finding | None:
    text = script.text
    if len(text) < MINIFIED_MIN_CHARS:
        return None
    names = len(_OBFUSCATED_NAME.findall(text)) if "_0x" in text else 0
    if names >= OBFUSCATED_MIN_NAMES or text.count("\\x") > len(text) * OBFUSCATED_ESCAPE_DENSITY:
        return script.finding("code.obfuscated", f"{script.name} looks machine-obfuscated.", 0)
    if _LONG_LINE.search(text) and _whitespace_ratio(text) < MINIFIED_MAX_WHITESPACE and not _has_source_map(
            script, package):
        return script.finding(
            "code.minified", f"{script.name} is minified and has no source map in the package.", 0)
    return None


def _whitespace_ratio(text: str) -> float:
    return sum(text.count(char) for char in " \t\n\r") / len(text)


def _has_source_map(script: Script, package: Package) -> bool:
    if script.name + ".map" in package.members:
        return True
    reference = _SOURCE_MAP.search(script.text[-2000:])
    if reference is None:
        return False
    url = reference.group(1)
    if url.startswith("data:"):
        return True
    target = posixpath.normpath(posixpath.join(posixpath.dirname(script.name), url))
    return target in package.members
