"""Code risks: eval and its relatives, dynamic or remote code loading, minified or obfuscated blobs.

Each pattern is anchored on a literal (`eval`, `Function`, `require` ...) so the regex engine skips
straight to it; only candidates in code (see `jssource.Script.context`) become findings.
"""

from __future__ import annotations

import posixpath
import re

from .findings import Finding
from .jssource import Script, follows_identifier
from .package import Package

# (substring that must be present, kind, pattern)
_PATTERNS = [
    ("eval", "eval", re.compile(r"eval\s*\(")),
    ("setTimeout", "timer", re.compile(r"setTimeout\s*\(\s*['\"`]")),
    ("setInterval", "timer", re.compile(r"setInterval\s*\(\s*['\"`]")),
    ("Function", "function", re.compile(r"Function\s*\(")),
    ("require", "loader", re.compile(r"require\s*\(")),
    ("import", "loader", re.compile(r"import\s*\(")),
    ("importScripts", "scripts", re.compile(r"importScripts\s*\(")),
    ("ubpackage", "subpackage", re.compile(r"(?:load|preload)Sub[pP]ackage\s*\(")),
]
_GLOBAL_OBJECT_BEFORE = re.compile(r"\b(?:window|globalThis|self|global)\s*\.\s*$")
_DEFINITION_BEFORE = re.compile(r"\bfunction\s*$")
_STATIC_ARGUMENT = re.compile(
    r"""\s*(?:'(?P<sq>[^'\\\n]*(?:\\.[^'\\\n]*)*)'|"(?P<dq>[^"\\\n]*(?:\\.[^"\\\n]*)*)"|`(?P<tq>[^`\\]*(?:\\.[^`\\]*)*)`)\s*[,)]""")
_REMOTE = re.compile(r"""['"`]\s*(?:https?:)?//""")
_REMOTE_VALUE = re.compile(r"\s*(?:https?:)?//")
ARGUMENT_CHARS = 300

MINIFIED_MIN_CHARS = 2048
MINIFIED_LINE_CHARS = 1000
MINIFIED_MAX_WHITESPACE = 0.08
_OBFUSCATED_NAME = re.compile(r"\b_0x[0-9a-f]{4,6}\b")
OBFUSCATED_MIN_NAMES = 20
OBFUSCATED_ESCAPE_DENSITY = 1 / 50  # one `\x` escape per 50 characters
_SOURCE_MAP = re.compile(r"[#@]\s*sourceMappingURL\s*=\s*(\S+)")


def check_code(scripts: list[Script], package: Package) -> list[Finding]:
    findings = []
    for script in scripts:
        for hint, kind, pattern in _PATTERNS:
            if hint in script.text:
                findings += _pattern_findings(script, kind, pattern)
        blob = _blob_finding(script, package)
        if blob is not None:
            findings.append(blob)
    return findings


def _pattern_findings(script: Script, kind: str, pattern: re.Pattern) -> list[Finding]:
    findings = []
    for match in pattern.finditer(script.text):
        if _is_call_in_code(script, kind, match.start()):
            finding = _classify(script, kind, match)
            if finding is not None:
                findings.append(finding)
    return findings


def _is_call_in_code(script: Script, kind: str, offset: int) -> bool:
    """A call of the global function itself (not `myeval(`, `obj.require(`), outside comments/strings."""
    text = script.text
    if kind == "eval" and offset and text[offset - 1] == ".":
        if not _GLOBAL_OBJECT_BEFORE.search(text, max(0, offset - 24), offset):
            return False
    elif kind != "subpackage" and follows_identifier(text, offset):
        return False
    return script.is_code(offset)


def _classify(script: Script, kind: str, match: re.Match) -> Finding | None:
    offset = match.start()
    if kind == "eval":
        return script.finding("code.eval", "eval() executes a string as code.", offset)
    if kind == "timer":
        return script.finding("code.eval", "A string passed to setTimeout/setInterval is executed as code.", offset)
    if kind == "function":
        return script.finding("code.new_function", "Function(...) builds code from a string.", offset)
    arguments = _arguments(script.text, match.end())
    if kind == "subpackage":
        return _remote(script, offset, "loads a subpackage from a remote URL") if _REMOTE.search(arguments) else None
    if kind == "scripts":
        if _REMOTE.search(arguments):
            return _remote(script, offset, "imports remote scripts")
        return script.finding("code.dynamic_load", "importScripts() loads code at runtime.", offset)
    return _loader_finding(script, match)


def _loader_finding(script: Script, match: re.Match) -> Finding | None:
    """`require('./x')` is fine; a computed name is dynamic; a URL is remote; a definition is neither."""
    offset, text = match.start(), script.text
    if _DEFINITION_BEFORE.search(text, max(0, offset - 20), offset):
        return None
    literal = _STATIC_ARGUMENT.match(text, match.end())
    value = literal.group(literal.lastgroup) if literal else ""
    if literal and _REMOTE_VALUE.match(value):
        return _remote(script, offset, "loads code from a URL")
    if literal and not (literal.lastgroup == "tq" and "${" in value):
        return None
    name = match.group().split("(")[0].strip()
    return script.finding("code.dynamic_load", f"{name}() of a computed module name.", offset)


def _arguments(text: str, start: int) -> str:
    """The text after an opening parenthesis, up to the first `)` (at most ARGUMENT_CHARS)."""
    window = text[start:start + ARGUMENT_CHARS]
    end = window.find(")")
    return window if end < 0 else window[:end]


def _remote(script: Script, offset: int, what: str) -> Finding:
    return script.finding("code.remote_code", f"Code {what}; all code must be in the package.", offset)


def _blob_finding(script: Script, package: Package) -> Finding | None:
    text = script.text
    if len(text) < MINIFIED_MIN_CHARS:
        return None
    names = len(_OBFUSCATED_NAME.findall(text)) if "_0x" in text else 0
    if names >= OBFUSCATED_MIN_NAMES or text.count("\\x") > len(text) * OBFUSCATED_ESCAPE_DENSITY:
        return script.finding("code.obfuscated", f"{script.name} looks machine-obfuscated.", 0)
    if _is_minified(text) and not _has_source_map(script, package):
        return script.finding("code.minified", f"{script.name} is minified and has no source map in the package.", 0)
    return None


def _is_minified(text: str) -> bool:
    """Little whitespace and at least one very long line (whitespace is counted first: it is cheaper)."""
    whitespace = text.count(" ") + text.count("\n") + text.count("\t")
    if whitespace >= len(text) * MINIFIED_MAX_WHITESPACE:
        return False
    return max(map(len, text.split("\n"))) >= MINIFIED_LINE_CHARS


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
