"""Code risks: eval and its relatives, dynamic or remote code loading, minified or obfuscated blobs.

Every risky construct is a call, so it ends with `(`. Searching the *reversed* text for `(`
followed by a reversed name (`(lave`, `(eriuqer` ...) turns seven searches into one whose pattern
starts with a literal, which the regex engine finds at memory speed (a pattern starting with an
alternation would be tried at every position instead). Only candidates in code (see
`jssource.Script.context`) become findings.

`eval` and `Function` are also risky when they are not called by name: `(0, eval)(s)`,
`eval.call(null, s)`, `const F = Function`, `g['ev' + 'al'](s)`. Every use of either global that is
not a call, a property of its own (`Function.prototype`), a test (`typeof eval`, `x instanceof
Function`, `=== Function`), an object key or a declaration is reported as the call would be.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .findings import Finding
from .jssource import LITERAL_KEY, NAME_BYTES, Script, folded_key, follows_identifier, literal_alternation
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

# Uses of these globals that are not calls by name (see the module's docstring).
REFERENCE_KINDS = {"eval": "eval", "Function": "function"}
# Each pattern starts with a literal the regex engine skips to; "eval" is found from its "v", which is
# far rarer in code than "e" (twice as fast). `_NAME_STARTS` says how far before the match each name starts.
_REFERENCE_NAMES = {"eval": re.compile(rb"va(?<=eva)l"), "Function": re.compile(rb"Function")}
_NAME_STARTS = {"eval": 1, "Function": 0}
_COMPUTED_KEY = re.compile(LITERAL_KEY)
_CALLED = re.compile(rb"\s*\(")
_AS_FUNCTION = re.compile(rb"\s*\.\s*(call|apply|bind)(?![\w$])")
_PROPERTY = re.compile(rb"\s*\??\.")
_COMPARED = re.compile(rb"\s*[=!]==?")
_KEY = re.compile(rb"\s*:")
_KEY_BEFORE = re.compile(rb"[{,]\s*$")
_NOT_A_USE_BEFORE = re.compile(rb"(?:(?<![\w$.])(?:typeof|instanceof|const|let|var|function|class)\s+|[=!]==?\s*)$")
# In TypeScript `Function` after these is a type (`cb: Function`, `Array<Function>`, `x as Function`).
_TYPE_BEFORE = re.compile(rb"(?:[:|&<]|=>|(?<![\w$.])(?:as|extends|implements|keyof))\s*$")
# `[` after these opens an array literal (`return ['eval']`), not a computed member.
_ARRAY_KEYWORD_BEFORE = re.compile(
    rb"(?<![\w$.])(?:return|typeof|instanceof|in|of|case|do|else|yield|await|void|delete|new)\s*$")
_MEMBER_OBJECT_END = frozenset(b")]") | NAME_BYTES
LOOKBACK_CHARS = 24

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
    """A call of a risky name: where the name starts and where its arguments start.

    A use of `eval`/`Function` that is not a call by name has the form "reference" (`(0, eval)`) or
    "computed" (`g['ev' + 'al']`), and `arguments` is where that use ends.
    """

    name: str
    start: int
    arguments: int
    form: str = "call"

    @property
    def kind(self) -> str:
        return CALL_KINDS[self.name]


def check_code(scripts: list[Script], package: Package, found: dict[str, list[Call]] | None = None) -> list[Finding]:
    """`found` holds the risky uses of scripts already searched (see `prescan`)."""
    findings = []
    for script in scripts:
        calls = found.get(script.name) if found is not None else None
        for call in risky_uses(script.text, is_typescript(script.name)) if calls is None else calls:
            # Classifying is cheaper than asking for the context, and most calls (`require('./x')`) pass.
            if call.form != "call" or _is_call_of_global(script.text, call):
                finding = _classify(script, call)
                if finding is not None and script.is_code(call.start):
                    findings.append(finding)
        blob = _blob_finding(script, package)
        if blob is not None:
            findings.append(blob)
    return findings


def is_typescript(name: str) -> bool:
    return name.endswith(".ts")


def risky_uses(text: bytes, typescript: bool) -> list[Call]:
    """The risky calls and the indirect uses of `eval`/`Function`, in source order."""
    indirect = risky_references(text, typescript) + computed_references(text)
    calls = risky_calls(text)
    return sorted(calls + indirect, key=lambda call: call.start) if indirect else calls


def risky_references(text: bytes, typescript: bool) -> list[Call]:
    """Each `eval`/`Function` of the global that is used other than by a call (`(0, eval)`, `F = Function`)."""
    uses = []
    for name, pattern in _REFERENCE_NAMES.items():
        for match in pattern.finditer(text):
            start, end = match.start() - _NAME_STARTS[name], match.end()
            if _names_the_global(text, start, end) and _is_a_use(text, start, end, name, typescript):
                uses.append(Call(name, start, end, "reference"))
    return uses


def computed_references(text: bytes) -> list[Call]:
    """Each `object['ev' + 'al']`-style member whose literal key folds to `eval` or `Function`."""
    uses = []
    for match in _COMPUTED_KEY.finditer(text):
        name = folded_key(match.group(1))
        if name in REFERENCE_KINDS and _is_computed_member(text, match.start()):
            uses.append(Call(name, match.start(), match.end(), "computed"))
    return uses


def _names_the_global(text: bytes, start: int, end: int) -> bool:
    """The whole word (not `evaluate`, `isFunction`), not a property unless of the global object (`window.eval`)."""
    if end < len(text) and text[end] in NAME_BYTES:
        return False
    if text[start - 1:start] == b".":
        return _GLOBAL_OBJECT_BEFORE.search(text, max(0, start - LOOKBACK_CHARS), start) is not None
    return not follows_identifier(text, start)


def _is_a_use(text: bytes, start: int, end: int, name: str, typescript: bool) -> bool:
    """Whether the global is handed on or reached for, rather than called (a call is `risky_calls`' part) or tested."""
    if _CALLED.match(text, end):
        return False
    if _PROPERTY.match(text, end) and not _AS_FUNCTION.match(text, end):
        return False  # Function.prototype.toString: the constructor's properties build no code
    before = text[max(0, start - LOOKBACK_CHARS):start]
    if _NOT_A_USE_BEFORE.search(before) or _COMPARED.match(text, end):
        return False
    if _KEY.match(text, end) and _KEY_BEFORE.search(before):
        return False  # `{eval: 1}`: an object key
    return not (typescript and name == "Function" and _TYPE_BEFORE.search(before))


def _is_computed_member(text: bytes, bracket: int) -> bool:
    """Whether `[` follows an object (`g[`, `f()[`), not an operator or keyword (an array literal)."""
    before = text[max(0, bracket - LOOKBACK_CHARS):bracket].rstrip()
    return bool(before) and before[-1] in _MEMBER_OBJECT_END and not _ARRAY_KEYWORD_BEFORE.search(before)


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
    if call.kind in ("eval", "function") and text[offset - 1:offset] == b".":
        return _GLOBAL_OBJECT_BEFORE.search(text, max(0, offset - 24), offset) is not None
    if call.kind == "subpackage":
        return text[max(0, offset - 4):offset].lower() == b"load"  # loadSubpackage, preloadSubpackage
    return not follows_identifier(text, offset)


def _classify(script: Script, call: Call) -> Finding | None:
    kind, offset = call.kind, call.start
    if call.form != "call":
        return _indirect_finding(script, call)
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


def _indirect_finding(script: Script, use: Call) -> Finding:
    """`(0, eval)`, `eval.call`, `F = Function`, `g['ev' + 'al']`: reported as the call would be."""
    shown = f"[{use.name!r}]" if use.form == "computed" else use.name
    if use.form == "reference" and (method := _AS_FUNCTION.match(script.text, use.arguments)):
        shown += "." + method.group(1).decode()
    if use.kind == "eval":
        return script.finding("code.eval", f"{shown} reaches eval without calling it by name; it executes a string "
                              "as code.", use.start, {"call": shown})
    return script.finding("code.new_function", f"{shown} reaches the Function constructor, which builds code from "
                          "a string.", use.start)


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
