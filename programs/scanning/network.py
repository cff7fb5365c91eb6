"""Network checks: URLs given to request/upload/download/socket APIs, and the domains code talks to.

The URL of a call such as `wx.request({url: BASE + '/orders'})` (or `wx['req' + 'uest'](...)`, see
`Script.api_uses`) is evaluated statically: string and
template literals, `+` concatenation, and identifiers bound to a URL literal (`const BASE = '...'`
or an object property `baseUrl: '...'`, in the same file or, if unambiguous, anywhere in the
package). Evaluation stops as soon as the scheme and host are known; whatever cannot be resolved
is skipped rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from .config import ScanConfig
from .dialects import Dialect
from .domains import HostPort, is_allowed, is_ip_or_local, parse_netloc
from .findings import Finding
from .jssource import STRING, Script, follows_identifier, track_apis

API_KINDS = {"request": "request", "httpRequest": "request", "uploadFile": "upload", "downloadFile": "download",
             "connectSocket": "socket"}
_API_NAMES = track_apis(API_KINDS)
SECURE_SCHEMES = {"request": "https", "upload": "https", "download": "https", "socket": "wss"}
INSECURE_SCHEMES = frozenset({"http", "ws"})
URL_SCHEMES = (b"https", b"http", b"wss", b"ws")
NAMESPACES = ("my", "wx", "tt", "swan")
# Hosts that appear in code as identifiers (XML namespaces), not as servers.
NOT_SERVERS = frozenset({"www.w3.org", "w3.org", "xmlns.com", "purl.org", "ns.adobe.com"})
URL_KEY_SEARCH_CHARS = 1000
BINDING_LOOKBACK_CHARS = 200
# Literals are read at most this far: an unterminated template literal must not make each call
# scan the rest of the file.
MAX_OPERAND_CHARS = 2000

# These run over the source bytes (see jssource); the ones below them over decoded values.
_OPEN_PARENTHESIS = re.compile(rb"\s*\(")
_URL_KEY = re.compile(rb"url\s*(:|(?=[,}]))")
_DIRECT_URL_KEY = re.compile(rb"\s*\{\s*url\s*:")
_AUTHORITY = re.compile(rb"://([^\s/'\"`?#\\<>(){}$]*)")
_OPERAND = re.compile(
    rb"""\s*(?:'(?P<sq>[^'\\\n]*(?:\\.[^'\\\n]*)*)'|"(?P<dq>[^"\\\n]*(?:\\.[^"\\\n]*)*)"|`(?P<tq>[^`\\]*(?:\\.[^`\\]*)*)`"""
    rb"""|(?P<id>[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)(?!\s*[(\[\w$]))""")
_PLUS = re.compile(rb"\s*\+(?![+=])")
_EXPRESSION_END = re.compile(rb"\s*[,})\];]")
_PLACEHOLDER = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_NAME_EXPRESSION = re.compile(r"[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*")
_PATH_START = re.compile(r"[/?#]")
_HOST_ONLY = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?\Z")
_ESCAPES = {"\\/": "/", "\\'": "'", '\\"': '"'}
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


class Resolved(NamedTuple):
    """A statically known URL prefix; `complete` when nothing unknown follows it (a tuple: calls make many)."""

    value: str
    complete: bool


Constants = dict[str, Resolved | None]  # None marks a name bound to different values in different files


@dataclass
class UrlLiteral:
    """A string literal that starts with a URL: where it is, the name it is bound to, its host."""

    quote: int
    name: str | None
    netloc: str


@dataclass
class NetworkResult:
    findings: list[Finding] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)


class _Resolver:
    """Finds what identifiers stand for: the script's own bindings first, then unambiguous package ones."""

    def __init__(self, scripts: list[Script], literals: dict[str, list[UrlLiteral]]) -> None:
        self.scripts, self.literals = {s.name: s for s in scripts}, literals
        self._local: dict[str, Constants] = {}
        self._shared: Constants | None = None

    def lookup(self, script: Script, name: str) -> Resolved | None:
        local = self._constants(script.name)
        if name in local:
            return local[name]
        if self._shared is None:
            self._shared = _merged(self._constants(other) for other in self.scripts)
        return self._shared.get(name)

    def _constants(self, name: str) -> Constants:
        if name not in self._local:
            script = self.scripts[name]
            self._local[name] = {
                literal.name: _literal_value(script.text, literal.quote) for literal in self.literals[name]
                if literal.name}
        return self._local[name]


def check_network(scripts: list[Script], dialect: Dialect | None, config: ScanConfig) -> NetworkResult:
    literals = {script.name: url_literals(script) for script in scripts}
    resolver = _Resolver(scripts, literals)
    checker = _UrlChecker(dialect, config)
    result = NetworkResult()
    for script in scripts:
        result.findings += _call_findings(script, dialect, resolver, checker)
    netlocs = {literal.netloc for found in literals.values() for literal in found}
    hosts = {str(target) for netloc in netlocs
             if (target := parse_netloc(netloc)) and "." in target.host and target.host not in NOT_SERVERS}
    result.domains = sorted(hosts)
    return result


def url_literals(script: Script) -> list[UrlLiteral]:
    """String literals that begin with an http(s)/ws(s) URL, with the name they are bound to, if any."""
    text, found = script.text, []
    for match in _authorities(text):
        scheme_start = _scheme_start(text, match.start())
        if scheme_start is None or text[scheme_start - 1:scheme_start] not in (b"'", b'"', b"`"):
            continue
        if script.context(scheme_start) != STRING:
            continue
        quote = scheme_start - 1
        found.append(UrlLiteral(quote, _bound_name(text, quote), _decoded(match.group(1))))
    return found


# `://` found from its `//`: the regex engine skips between literal prefixes at twice the speed of
# bytes.find for a three-byte needle whose ":" is everywhere in code (3.4 against 1.8 ms in 5 MB of script).
_SEPARATOR = re.compile(rb"//(?<=://)")


def _authorities(text: bytes) -> Iterator[re.Match]:
    """What `_AUTHORITY.finditer(text)` finds; `://` is rare, and the engine skips to it faster than to the pattern."""
    end = 0
    for separator in _SEPARATOR.finditer(text):
        if separator.start() - 1 < end:
            continue  # inside the authority just read
        match = _AUTHORITY.match(text, separator.start() - 1)
        end = match.end()
        yield match


def _bound_name(text: bytes, quote: int) -> str | None:
    """The name in `NAME = '...'` or `NAME: '...'` just before a literal (walking back, not regex-searching)."""
    before = text[max(0, quote - BINDING_LOOKBACK_CHARS):quote].rstrip()
    if not before.endswith((b":", b"=")) or before.endswith((b"==", b"!=", b"<=", b">=", b"=>", b"?:")):
        return None
    before = before[:-1].rstrip()
    start = len(before)
    while start and before[start - 1] in _NAME_BYTES:
        start -= 1
    name = before[start:].decode("ascii")
    return name if name and not name[0].isdigit() else None


def _scheme_start(text: bytes, separator: int) -> int | None:
    before = text[max(0, separator - 5):separator].lower()
    for scheme in URL_SCHEMES:
        if before.endswith(scheme):
            return separator - len(scheme)
    return None


def _literal_value(text: bytes, quote: int) -> Resolved | None:
    operand = _OPERAND.match(text, quote, quote + MAX_OPERAND_CHARS)
    if operand is None or operand.lastgroup == "id":
        return None
    value = _unescape(_decoded(operand.group(operand.lastgroup)))
    return _template(value, lambda name: None) if operand.lastgroup == "tq" else Resolved(value, True)


def _merged(tables) -> Constants:
    merged: Constants = {}
    for table in tables:
        for name, value in table.items():
            merged[name] = value if merged.get(name, value) == value else None
    return merged


def _call_findings(script: Script, dialect: Dialect | None, resolver: _Resolver,
                   checker: _UrlChecker) -> list[Finding]:
    namespaces = [dialect.namespace] if dialect else NAMESPACES
    calls = sorted(use for namespace in namespaces for use in script.api_uses(namespace, _API_NAMES))
    findings = []
    for index, (offset, name, name_end) in enumerate(calls):
        opening = _OPEN_PARENTHESIS.match(script.text, name_end)
        if opening is None:
            continue
        limit = calls[index + 1][0] if index + 1 < len(calls) else len(script.text)
        resolved = _call_url(script, opening.end(), min(limit, opening.end() + URL_KEY_SEARCH_CHARS), resolver)
        verdicts = checker.check(API_KINDS[name], resolved) if resolved is not None else []
        # Most calls pass: ask whether the call is code (not a comment or string) only when it would matter.
        if verdicts and script.is_code(offset):
            findings += [script.finding(code, message, offset, params) for code, message, params in verdicts]
    return findings


def _call_url(script: Script, start: int, end: int, resolver: _Resolver) -> Resolved | None:
    """The statically known `url` of a call's options object, searched up to the next call."""
    direct = _DIRECT_URL_KEY.match(script.text, start, end)
    if direct:  # the common `({ url: ...` needs no search and no context check
        return evaluate(script, direct.end(), resolver)
    position = start
    while key := _URL_KEY.search(script.text, position, end):
        position = key.end()
        if follows_identifier(script.text, key.start()) or not script.is_code(key.start()):
            continue
        if key.group(1) != b":":  # shorthand `{ url }` uses the variable `url`
            return resolver.lookup(script, "url")
        return evaluate(script, key.end(), resolver)
    return None


def evaluate(script: Script, position: int, resolver: _Resolver) -> Resolved | None:
    """Evaluate `a + 'b' + \\`c${d}\\`` left to right, until the host is known or something is unknown."""
    value = ""
    while operand := _OPERAND.match(script.text, position, position + MAX_OPERAND_CHARS):
        piece = _operand_value(script, operand, resolver)
        if piece is None:
            break
        value += piece.value
        if not piece.complete or _host_known(value):
            return Resolved(value, False)
        plus = _PLUS.match(script.text, operand.end())
        if plus is None:
            return Resolved(value, bool(_EXPRESSION_END.match(script.text, operand.end())))
        position = plus.end()
    return Resolved(value, False) if value else None


def _operand_value(script: Script, operand: re.Match, resolver: _Resolver) -> Resolved | None:
    kind, text = operand.lastgroup, _decoded(operand.group(operand.lastgroup))
    if kind == "id":
        return resolver.lookup(script, _last_name(text))
    if kind == "tq":
        return _template(_unescape(text), lambda name: resolver.lookup(script, name))
    return Resolved(_unescape(text), True)


def _template(literal: str, lookup: Callable[[str], Resolved | None]) -> Resolved:
    """Substitute `${name}` placeholders that are known; stop at the first unknown one."""
    value, last = "", 0
    for placeholder in _PLACEHOLDER.finditer(literal):
        value += literal[last:placeholder.start()]
        expression = placeholder.group(1)
        known = lookup(_last_name(expression)) if _NAME_EXPRESSION.fullmatch(expression) else None
        if known is None or not known.complete:
            return Resolved(value + (known.value if known else ""), False)
        value += known.value
        last = placeholder.end()
    return Resolved(value + literal[last:], True)


def _decoded(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def _last_name(expression: str) -> str:
    return expression.rsplit(".", 1)[-1].strip()


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    for escaped, plain in _ESCAPES.items():
        value = value.replace(escaped, plain)
    return value


def _host_known(value: str) -> bool:
    """Whether a path, query or fragment follows the first `://` (no later `://` can: it holds a `/`)."""
    separator = value.find("://")
    return separator >= 0 and _PATH_START.search(value, separator + 3) is not None


class _UrlChecker:
    """Verdicts per (kind, scheme, host), cached: bundles repeat the same base URL many times."""

    def __init__(self, dialect: Dialect | None, config: ScanConfig) -> None:
        self.exact = dialect.exact_domains if dialect else True
        self.allowed = config.allowed_domains
        self._verdicts: dict[tuple, list[tuple[str, str, dict]]] = {}

    def check(self, kind: str, url: Resolved) -> list[tuple[str, str, dict]]:
        scheme, separator, rest = url.value.partition("://")
        if not separator:
            if url.complete and url.value:
                return [("network.invalid_url", f"{kind} URL {url.value!r} has no scheme and host.",
                         {"kind": kind, "url": url.value})]
            return []
        netloc = _known_netloc(rest, url.complete)
        key = (kind, scheme.lower(), netloc)
        if key not in self._verdicts:
            self._verdicts[key] = self._verdict(kind, scheme.lower(), netloc, url.value)
        return self._verdicts[key]

    def _verdict(self, kind: str, scheme: str, netloc: str | None, shown: str) -> list[tuple[str, str, dict]]:
        secure = SECURE_SCHEMES[kind]
        if scheme in INSECURE_SCHEMES:
            return [("network.insecure", f"{kind} URL {shown!r} uses {scheme}://; use {secure}://.",
                     {"kind": kind, "url": shown, "secure": secure})]
        if scheme != secure:
            return [("network.invalid_url", f"{kind} URL {shown!r} must use {secure}://.", {"kind": kind, "url": shown})]
        target = parse_netloc(netloc) if netloc else None
        return self._host_verdict(kind, target) if target else []

    def _host_verdict(self, kind: str, target: HostPort) -> list[tuple[str, str, dict]]:
        if is_ip_or_local(target.host):
            return [("network.ip_literal", f"{kind} URL targets {target}, an IP address or localhost.",
                     {"kind": kind, "target": str(target)})]
        if self.allowed is None or is_allowed(target, self.allowed.get(kind, []), exact=self.exact):
            return []
        rule = "exact host[:port]" if self.exact else "registrable domain"
        return [("network.not_allowed", f"{target} is not on the {kind} domain allowlist (matched by {rule}).",
                 {"kind": kind, "target": str(target)})]


def _known_netloc(rest: str, complete: bool) -> str | None:
    """The authority, if the resolved text reaches past it or plainly ends with a whole host name."""
    end = _PATH_START.search(rest)
    if end is not None:
        return rest[:end.start()]
    return rest if complete or _HOST_ONLY.match(rest) else None
