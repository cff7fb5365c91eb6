"""Code risks: eval and its relatives, dynamic or remote code loading, minified or obfuscated blobs.

Every risky construct is a call, so it ends with `(`. Searching the *reversed* text for `(`
followed by a reversed name (`(lave`, `(eriuqer` ...) turns seven searches into one whose pattern
starts with a literal, which the regex engine finds at memory speed (a pattern starting with an
alternation would be tried at every position instead). Only candidates in code (see
`jssource.Script.context`) become findings.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .findings import Finding
from .jssource import Script, follows_identifier, literal_alternation
from .package import Package

CALL_KINDS = {
    "eval": "eval", "setTimeout": "timer", "setInterval": "timer", "Function": "function", "require": "loader",
    "import": "loader", "importScripts": "scripts", "Subpackage": "subpackage", "SubPackage": "subpackage",
}
_REVERSED_NAMES = [name[::-1].encode() for name in CALL_KINDS]
# The lookahead turns most parentheses away before the engine sets up the whitespace loop.
_REVERSED_CALLS = re.compile(
    rb"\((?=[\s" + bytes(sorted({name[0] for name in _REVERSED_NAMES})) + rb"])\s*("
    + literal_alternation(_REVERSED_NAMES) + rb")")
_GLOBAL_OBJECT_BEFORE = re.compile(rb"\b(?:window|globalThis|self|global)\s*\.\s*$")
_DEFINITION_BEFORE = re.compile(rb"\bfunction\s*$")
_QUOTE = re.compile(rb"\s*['\"`]")
_NPM_SHIM_BEFORE = b"if(!__MODS__[modId]) return "
_STATIC_ARGUMENT = re.compile(
    rb"""\s*(?:'(?P<sq>[^'\\\n]*(?:\\.[^'\\\n]*)*)'|"(?P<dq>[^"\\\n]*(?:\\.[^"\\\n]*)*)"|`(?P<tq>[^`\\]*(?:\\.[^`\\]*)*)`)\s*[,)]""")
_REMOTE = re.compile(rb"""['"`]\s*(?:https?:)?//""")
_REMOTE_VALUE = re.compile(rb"\s*(?:https?:)?//")
ARGUMENT_CHARS = 300

MINIFIED_MIN_CHARS = 2048
MINIFIED_LINE_CHARS = 1000
MINIFIED_MAX_WHITESPACE = 0.08
DATA_MIN_DIGITS = 0.5  # a long-lined file that is more than half digits is data
LINE_SAMPLES = 16
_OBFUSCATED_NAME = re.compile(rb"\b_0x[0-9a-f]{4,6}\b")
OBFUSCATED_MIN_NAMES = 20
OBFUSCATED_ESCAPE_DENSITY = 1 / 50  # one `\x` escape per 50 characters
_SOURCE_MAP = re.compile(rb"[#@]\s*sourceMappingURL\s*=\s*(\S+)")


@dataclass(frozen=True)
class Call:
    """A call of a risky name: where the name starts and where its arguments start."""

    name: str
    start: int
    arguments: int

    @property
    def kind(self) -> str:
        return CALL_KINDS[self.name]


def check_code(scripts: list[Script], package: Package, found: dict[str, list[Call]] | None = None) -> list[Finding]:
    """`found` holds the risky calls of scripts already searched (see `prescan`)."""
    findings = []
    for script in scripts:
        calls = found.get(script.name) if found is not None else None
        for call in risky_calls(script.text) if calls is None else calls:
            # Classifying is cheaper than asking for the context, and most calls (`require('./x')`) pass.
            if _is_call_of_global(script.text, call):
                finding = _classify(script, call)
                if finding is not None and script.is_code(call.start):
                    findings.append(finding)
        blob = _blob_finding(script, package)
        if blob is not None:
            findings.append(blob)
    return findings


def risky_calls(text: bytes) -> list[Call]:
    """Every `name(` / `name (` of CALL_KINDS, in source order."""
    reversed_text, size = bytearray(text), len(text)
    reversed_text.reverse()  # in place: several times faster than slicing with [::-1]
    calls = []
    for match in _REVERSED_CALLS.finditer(reversed_text):
        name = bytes(match.group(1)[::-1]).decode()
        calls.append(Call(name, size - match.end(1), size - match.start()))
    calls.reverse()
    return calls


def _is_call_of_global(text: bytes, call: Call) -> bool:
    """A call of the global function itself (not `myeval(`, `obj.require(`); the caller checks the context."""
    offset = call.start
    if call.kind == "eval" and text[offset - 1:offset] == b".":
        return _GLOBAL_OBJECT_BEFORE.search(text, max(0, offset - 24), offset) is not None
    if call.kind == "subpackage":
        return text[max(0, offset - 4):offset].lower() == b"load"  # loadSubpackage, preloadSubpackage
    return not follows_identifier(text, offset)


def _classify(script: Script, call: Call) -> Finding | None:
    kind, offset = call.kind, call.start
    if kind == "eval":
        return script.finding("code.eval", "eval() executes a string as code.", offset, {"call": "eval()"})
    if kind == "timer":
        if not _QUOTE.match(script.text, call.arguments):
            return None
        return script.finding("code.eval", f"A string passed to {call.name} is executed as code.", offset,
                              {"call": f"{call.name}('…')"})
    if kind == "function":
        return script.finding("code.new_function", "Function(...) builds code from a string.", offset)
    arguments = _arguments(script.text, call.arguments)
    if kind == "subpackage":
        return _remote(script, offset, "loads a subpackage from a remote URL") if _REMOTE.search(arguments) else None
    if kind == "scripts":
        if _REMOTE.search(arguments):
            return _remote(script, offset, "imports remote scripts")
        return script.finding("code.dynamic_load", "importScripts() loads code at runtime.", offset,
                              {"call": "importScripts"})
    return _loader_finding(script, call)


def _loader_finding(script: Script, call: Call) -> Finding | None:
    """`require('./x')` is fine; a computed name is dynamic; a URL is remote; a definition is neither."""
    offset, text = call.start, script.text
    if _DEFINITION_BEFORE.search(text, max(0, offset - 20), offset):
        return None
    if text[max(0, offset - len(_NPM_SHIM_BEFORE)):offset] == _NPM_SHIM_BEFORE:
        return None  # the WeChat IDE's npm build: `__REQUIRE__` falls back to `require(source)` for its own imports
    literal = _STATIC_ARGUMENT.match(text, call.arguments, call.arguments + ARGUMENT_CHARS)
    value = literal.group(literal.lastgroup) if literal else b""
    if literal and _REMOTE_VALUE.match(value):
        return _remote(script, offset, "loads code from a URL")
    if literal and not (literal.lastgroup == "tq" and b"${" in value):
        return None
    return script.finding("code.dynamic_load", f"{call.name}() of a computed module name.", offset,
                          {"call": call.name})


def _arguments(text: bytes, start: int) -> bytes:
    """The text after an opening parenthesis, up to the first `)` (at most ARGUMENT_CHARS)."""
    window = text[start:start + ARGUMENT_CHARS]
    end = window.find(b")")
    return window if end < 0 else window[:end]


def _remote(script: Script, offset: int, what: str) -> Finding:
    return script.finding("code.remote_code", f"Code {what}; all code must be in the package.", offset)


def _blob_finding(script: Script, package: Package) -> Finding | None:
    text = script.text
    if len(text) < MINIFIED_MIN_CHARS:
        return None
    long_lines = _mostly_long_lines(text)
    if _is_obfuscated(text, long_lines):
        return script.finding("code.obfuscated", f"{script.name} looks machine-obfuscated.", 0)
    if long_lines and _little_whitespace(text) and not _is_data(text) and not _has_source_map(script, package):
        return script.finding("code.minified", f"{script.name} is minified and has no source map in the package.", 0)
    return None


def _mostly_long_lines(text: bytes) -> bool:
    """Whether most of the file is lines of MINIFIED_LINE_CHARS or more, judged from sampled windows.

    Minified and obfuscated blobs are long lines through and through, so a window of that width
    without a newline is typical of them and rare in readable code; sampling keeps this check from
    adding another pass over every script.
    """
    span = len(text) - MINIFIED_LINE_CHARS
    if span < 0:
        return False
    starts = {span * index // (LINE_SAMPLES - 1) for index in range(LINE_SAMPLES)}
    without_newline = sum(1 for start in starts if text.find(b"\n", start, start + MINIFIED_LINE_CHARS) < 0)
    return without_newline * 2 >= len(starts)


def _is_obfuscated(text: bytes, long_lines: bool) -> bool:
    """Obfuscators emit compact output, so only files with long lines are examined."""
    if not long_lines:
        return False
    if b"_0x" in text and len(_OBFUSCATED_NAME.findall(text)) >= OBFUSCATED_MIN_NAMES:
        return True
    return text.count(b"\\x") > len(text) * OBFUSCATED_ESCAPE_DENSITY


def _little_whitespace(text: bytes) -> bool:
    return text.count(b" ") + text.count(b"\n") + text.count(b"\t") < len(text) * MINIFIED_MAX_WHITESPACE


def _is_data(text: bytes) -> bool:
    """Mostly digits: a vertex buffer or lookup table written as an array literal, not minified code."""
    digits = len(text) - len(text.translate(None, b"0123456789"))
    return digits > len(text) * DATA_MIN_DIGITS


def _has_source_map(script: Script, package: Package) -> bool:
    if script.name + ".map" in package.members:
        return True
    reference = _SOURCE_MAP.search(script.text[-2000:])
    if reference is None:
        return False
    url = reference.group(1).decode("utf-8", errors="replace")
    if url.startswith("data:"):
        return True
    target = posixpath.normpath(posixpath.join(posixpath.dirname(script.name), url))
    return target in package.members
