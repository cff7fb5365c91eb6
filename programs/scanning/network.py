"""Network checks: URLs given to request/upload/download/socket APIs, and the domains code talks to.

The URL of a call such as `wx.request({url: BASE + '/orders'})` is evaluated statically: string and
template literals, `+` concatenation, and identifiers bound to a string literal (`const BASE = '...'`
or an object property `baseUrl: '...'`, in the same file or, if unambiguous, anywhere in the
package). Whatever cannot be resolved is skipped rather than guessed; a URL prefix that is resolved
up to its host is enough to check the scheme and the host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .codes import new_finding
from .config import ScanConfig
from .dialects import Dialect
from .domains import HostPort, is_allowed, is_ip_or_local, parse_netloc
from .findings import Finding
from .jssource import Script

API_KINDS = {"request": "request", "httpRequest": "request", "uploadFile": "upload", "downloadFile": "download",
             "connectSocket": "socket"}
SECURE_SCHEMES = {"request": "https", "upload": "https", "download": "https", "socket": "wss"}
INSECURE_SCHEMES = {"http", "ws"}
NAMESPACES = ("wx", "my", "tt", "swan")
# Hosts that appear in code as identifiers (XML namespaces), not as servers.
NOT_SERVERS = frozenset({"www.w3.org", "w3.org", "xmlns.com", "purl.org", "ns.adobe.com"})
MAX_CALL_CHARS = 4000

_CALL = re.compile(
    r"(?<![\w$])(?P<ns>wx|my|tt|swan)\s*\.\s*(?P<api>" + "|".join(API_KINDS) + r")\s*\(")
_URL_KEY = re.compile(r"(?<![\w$.])url\s*(?P<colon>:)?")
_BINDING = re.compile(
    r"(?<![\w$.])(?:(?:const|let|var)\s+(?P<var>[A-Za-z_$][\w$]*)\s*=|(?P<prop>[A-Za-z_$][\w$]*)\s*:)\s*(?=['\"`])")
_URL_LITERAL = re.compile(r"\b(?:https?|wss?)://([^\s/'\"`?#\\<>(){}$]+)", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*$")
_PLACEHOLDER = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_STRUCTURE = re.compile(r"[()\[\]{},+]")


@dataclass(frozen=True)
class Resolved:
    """A statically known URL prefix; `complete` when nothing unknown follows it."""

    value: str
    complete: bool


Constants = dict[str, Resolved | None]  # None marks a name bound to different values


@dataclass
class NetworkResult:
    findings: list[Finding]
    domains: list[str]


def check_network(scripts: list[Script], dialect: Dialect | None, config: ScanConfig) -> NetworkResult:
    per_script = {script.name: collect_constants(script) for script in scripts}
    shared = _merged(per_script.values())
    findings: list[Finding] = []
    domains: set[str] = set()
    for script in scripts:
        if "://" in script.text:
            domains |= _literal_domains(script)
        if _CALL.search(script.text):
            findings += _call_findings(script, {**shared, **per_script[script.name]}, dialect, config)
    return NetworkResult(findings, sorted(domains))


def _merged(tables) -> Constants:
    """Package-wide bindings; a name bound to different values in different files is ambiguous (None)."""
    merged: Constants = {}
    for table in tables:
        for name, value in table.items():
            merged[name] = value if merged.get(name, value) == value else None
    return merged


def collect_constants(script: Script) -> Constants:
    constants: Constants = {}
    if "://" not in script.text:
        return constants
    for match in _BINDING.finditer(script.masked):
        literal = script.literal_at(match.end())
        if literal is not None:
            constants[match.group("var") or match.group("prop")] = _template(literal, {})
    return constants


def _call_findings(script: Script, constants: Constants, dialect: Dialect | None, config: ScanConfig) -> list[Finding]:
    findings = []
    namespaces = (dialect.namespace,) if dialect else NAMESPACES
    for call in _CALL.finditer(script.masked):
        if call.group("ns") not in namespaces:
            continue
        kind = API_KINDS[call.group("api")]
        resolved = _call_url(script, call.end(), constants)
        if resolved is not None:
            findings += _url_findings(script, call.start(), kind, resolved, dialect, config)
    return findings


def _call_url(script: Script, args_start: int, constants: Constants) -> Resolved | None:
    """The statically known `url` of a call's options object (or of its first argument)."""
    args_end = _argument_end(script.masked, args_start, min(len(script.masked), args_start + MAX_CALL_CHARS))
    key = _URL_KEY.search(script.masked, args_start, args_end)
    if key is None:
        return None
    if key.group("colon") is None:  # shorthand `{ url }` uses the variable `url`
        return constants.get("url")
    value_end = _argument_end(script.masked, key.end(), args_end)
    return evaluate(script, key.end(), value_end, constants)


def _argument_end(masked: str, start: int, limit: int) -> int:
    """Offset of the first `,` `)` `}` or `]` that closes the expression starting at `start`."""
    depth = 0
    for match in _STRUCTURE.finditer(masked, start, limit):
        char = match.group()
        if char in "([{":
            depth += 1
        elif char in ")]}" and depth:
            depth -= 1
        elif char in ",)]}" and not depth:
            return match.start()
    return limit


def evaluate(script: Script, start: int, end: int, constants: Constants) -> Resolved | None:
    """Statically evaluate `a + 'b' + \\`c${d}\\`` as far as it goes."""
    value, operands = "", _operands(script, start, end)
    for operand_start, operand_end in operands:
        resolved = _operand(script, operand_start, operand_end, constants)
        if resolved is None:
            return Resolved(value, False) if value else None
        value += resolved.value
        if not resolved.complete:
            return Resolved(value, False)
    return Resolved(value, True) if operands else None


def _operands(script: Script, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the top-level `+` operands (strings are masked, so a `+` inside one is not seen)."""
    spans, depth, last = [], 0, start
    for match in _STRUCTURE.finditer(script.masked, start, end):
        char = match.group()
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "+" and depth == 0:
            spans.append((last, match.start()))
            last = match.end()
    spans.append((last, end))
    return spans


def _operand(script: Script, start: int, end: int, constants: Constants) -> Resolved | None:
    text = script.text[start:end].strip()
    offset = start + (len(script.text[start:end]) - len(script.text[start:end].lstrip()))
    if text[:1] in ("'", '"', "`"):
        literal = script.literal_at(offset)
        if literal is None or script.masked.find(text[0], offset + 1) != offset + len(text) - 1:
            return None  # a literal followed by something else, e.g. 'a'.concat(b)
        return _template(literal, constants) if text[0] == "`" else Resolved(literal, True)
    if _IDENTIFIER.match(text):
        return constants.get(re.split(r"\s*\.\s*", text)[-1])
    return None


def _template(literal: str, constants: Constants) -> Resolved:
    """Substitute `${name}` placeholders that are known constants; stop at the first unknown one."""
    value, last = "", 0
    for placeholder in _PLACEHOLDER.finditer(literal):
        value += literal[last:placeholder.start()]
        name = placeholder.group(1)
        known = constants.get(re.split(r"\s*\.\s*", name)[-1]) if _IDENTIFIER.match(name) else None
        if known is None or not known.complete:
            return Resolved(value + (known.value if known else ""), False)
        value += known.value
        last = placeholder.end()
    return Resolved(value + literal[last:], True)


def _url_findings(script: Script, offset: int, kind: str, url: Resolved, dialect: Dialect | None,
                  config: ScanConfig) -> list[Finding]:
    scheme, separator, rest = url.value.partition("://")
    if not separator:
        if url.complete and not url.value.startswith("${"):
            return [script.finding("network.invalid_url", f"{kind} URL {url.value!r} has no scheme and host.", offset)]
        return []
    scheme = scheme.lower()
    if scheme in INSECURE_SCHEMES:
        return [script.finding(
            "network.insecure", f"{kind} URL {url.value!r} uses {scheme}://; use {SECURE_SCHEMES[kind]}://.", offset)]
    if scheme != SECURE_SCHEMES[kind]:
        return [script.finding("network.invalid_url", f"{kind} URL {url.value!r} must use {SECURE_SCHEMES[kind]}://.",
                               offset)]
    target = _known_host(rest, url.complete)
    return _host_findings(script, offset, kind, target, dialect, config) if target else []


def _known_host(rest: str, complete: bool) -> HostPort | None:
    """The host, if the resolved text reaches past it (a path, query or the end of a complete URL)."""
    end = min((rest.find(c) for c in "/?#" if c in rest), default=-1)
    if end < 0 and not complete:
        return None
    return parse_netloc(rest if end < 0 else rest[:end])


def _host_findings(script: Script, offset: int, kind: str, target: HostPort, dialect: Dialect | None,
                   config: ScanConfig) -> list[Finding]:
    if is_ip_or_local(target.host):
        return [script.finding("network.ip_literal", f"{kind} URL targets {target}, an IP address or localhost.",
                               offset)]
    if config.allowed_domains is None:
        return []
    exact = dialect.exact_domains if dialect else True
    if is_allowed(target, config.allowed_domains.get(kind, []), exact=exact):
        return []
    rule = "exact host[:port]" if exact else "registrable domain"
    return [script.finding(
        "network.not_allowed", f"{target} is not on the {kind} domain allowlist (matched by {rule}).", offset)]


def _literal_domains(script: Script) -> set[str]:
    """Hosts of URLs written as string literals anywhere in the script (not in comments)."""
    hosts = set()
    for match in _URL_LITERAL.finditer(script.text):
        if not script.in_string(match.start()):
            continue
        target = parse_netloc(match.group(1))
        if target and "." in target.host and target.host not in NOT_SERVERS:
            hosts.add(str(target))
    return hosts
