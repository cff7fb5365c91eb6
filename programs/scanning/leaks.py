"""Leaked secrets in shipped text files: private keys, cloud access keys, service tokens (Stripe live
keys, GitHub tokens), passwords in URLs, the org's own API keys.

Everything in a package ends up on users' devices, so comments and strings are scanned too.
Messages show only a prefix of the secret: reports are stored and shown in several places.
"""

from __future__ import annotations

import re

from .findings import Finding
from .jssource import Script, source_of
from .package import TEXT_EXTENSIONS, Package, extension

# Each pattern starts with a literal so the regex engine can jump between candidates; AWS and
# Tencent share their leading "A". The character before a key must not extend it (checked per match).
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_A_KEYS = re.compile(rb"A(?:(?P<aws>(?:KI|SI)A[A-Z0-9]{16}(?![A-Z0-9]))|(?P<tencent>KID[A-Za-z0-9]{32}(?![A-Za-z0-9])))")
_ALIBABA = re.compile(rb"LTAI[A-Za-z0-9]{12,20}(?![A-Za-z0-9])")
_PROVIDERS = {"aws": "AWS access key ID", "alibaba": "Alibaba Cloud AccessKey ID", "tencent": "Tencent Cloud SecretId"}
# The secret that goes with each kind of ID: AWS 40 base64 characters, Alibaba 30 and Tencent 32
# letters and digits. A key ID is a leaked credential only with such a string near it; alone (a
# presigned URL's `OSSAccessKeyId=LTAI...&Signature=...`) it names the account and grants nothing.
_SECRETS = {
    "aws": re.compile(rb"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    "alibaba": re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{30}(?![A-Za-z0-9])"),
    "tencent": re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])"),
}
SECRET_WINDOW_BYTES = 400
# Each pattern above holds an "A" (AKIA/ASIA/AKID start with one; LTAI and PRIVATE KEY have one
# inside), so one pass that jumps from "A" to "A" tells which of them can match anywhere in a file;
# only those then run (rarely any): one pass per file instead of three. The matches are one byte wide,
# so no candidate hides another.
_CANDIDATES = re.compile(
    rb"A(?:(?=KI[AD]|SIA)(?P<cloud>)|(?<=LTA)(?=I)(?P<alibaba>)|(?<=PRIVA)(?=TE KEY)(?P<private>))")
_UPPER, _LOWER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"), frozenset(b"abcdefghijklmnopqrstuvwxyz")
# Stripe live secret and restricted keys and GitHub tokens start with fixed prefixes that hold an
# underscore; one pass that jumps from "_" to "_" tells whether any can be in the file (as `_CANDIDATES`
# does from "A"). Test keys (`sk_test_`) and publishable keys (`pk_live_`, public by design) are not secrets.
_TOKEN_CANDIDATES = re.compile(rb"_(?:(?<=[sr]k_)(?=live_)|(?<=gh[pousr]_)|(?<=github_)(?=pat_))")
_SERVICE_TOKENS = re.compile(
    rb"(?P<stripe>[sr]k_live_[A-Za-z0-9]{20,})|(?P<github>gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")
_SERVICES = {"stripe": "Stripe", "github": "GitHub"}
_TOKEN_KINDS = {b"s": "secret key", b"r": "restricted key", b"g": "token"}  # by the token's first letter
# A URL's `user:password@` is found from its "@", then read backwards to the `://`. "@" is rare in code,
# so bytes.find (memchr) jumps between them several times faster than a regex pass; an "@" after a space
# or a `*` (`@param`, `@media`) ends no password. Connection strings (`mysql://root:...@db`) are the usual case.
_NOT_BEFORE_PASSWORD_END = frozenset(b" \t\r\n/@'\"`*(){}<>[],;")
_URL_USERINFO = re.compile(rb"([A-Za-z][A-Za-z0-9+.-]*)://([^\s/@:'\"`]*):([^\s/@'\"`]+)\Z")
_URL_HOST = re.compile(rb"\[?[A-Za-z0-9][A-Za-z0-9.:\-\]]*")
URL_LOOKBACK_BYTES = 256
PLACEHOLDER_PASSWORDS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "yourpassword", "mypassword", "changeme", "example", "placeholder",
    "redacted", "token", "dbpassword"})
ORG_KEY_MIN_TAIL = 6
SHOWN_CHARS = 8


def check_secrets(package: Package, org_key_prefixes: list[str],
                  found: dict[str, list[Finding]] | None = None) -> list[Finding]:
    """Secrets in shipped text files; `found` holds files already searched (see `prescan`)."""
    org_keys = None if found is not None else org_key_pattern(org_key_prefixes)
    findings = []
    for name in package.shipped:
        if found is not None and name in found:
            findings += found[name]
        elif extension(name) in TEXT_EXTENSIONS and (source := source_of(package, name)) is not None:
            org_keys = org_keys or org_key_pattern(org_key_prefixes)
            findings += secrets_in(source, org_keys)
    return findings


def secrets_in(script: Script, org_keys: re.Pattern | None) -> list[Finding]:
    text = script.text
    kinds = {match.lastgroup for match in _CANDIDATES.finditer(text)}
    findings = []
    if "private" in kinds:
        findings += [_private_key_finding(script, match) for match in _PRIVATE_KEY.finditer(text)]
    if "cloud" in kinds:
        for match in _A_KEYS.finditer(text):
            if not _extends_token(text, match.start()):
                findings.append(_cloud_finding(script, match, match.lastgroup))
    if "alibaba" in kinds:
        for match in _ALIBABA.finditer(text):
            if not _extends_token(text, match.start()):
                findings.append(_cloud_finding(script, match, "alibaba"))
    if _TOKEN_CANDIDATES.search(text):
        findings += [_service_finding(script, match) for match in _SERVICE_TOKENS.finditer(text)
                     if not _extends_token(text, match.start())]
    findings += [finding for at in _password_ends(text) if (finding := _url_password_finding(script, at))]
    if org_keys is not None:
        findings += [_org_finding(script, match) for match in org_keys.finditer(text)]
    return findings


def _extends_token(text: bytes, offset: int) -> bool:
    return offset > 0 and text[offset - 1:offset].isalnum()


def org_key_pattern(prefixes: list[str]) -> re.Pattern | None:
    prefixes = [prefix for prefix in prefixes if prefix]
    if not prefixes:
        return None
    alternatives = "|".join(re.escape(prefix) for prefix in sorted(prefixes, key=len, reverse=True))
    return re.compile(f"(?:{alternatives})[A-Za-z0-9_-]{{{ORG_KEY_MIN_TAIL},}}".encode())


def _private_key_finding(script: Script, match: re.Match) -> Finding:
    return script.finding(
        "secret.private_key", "A private key is in the package: revoke it and keep keys on your server.",
        match.start())


def _cloud_finding(script: Script, match: re.Match, provider_key: str) -> Finding:
    provider, shown = _PROVIDERS[provider_key], _redacted(match.group())
    params = {"provider": provider_key, "key": shown}
    if _secret_near(script.text, match, provider_key):
        return script.finding(
            "secret.cloud_key",
            f"{provider} {shown} is in the package with its secret: disable it in the cloud console now.",
            match.start(), params)
    return script.finding(
        "secret.cloud_key_id",
        f"{provider} {shown} is in the package without a secret near it (as in a presigned URL); the ID "
        "alone is not a credential.", match.start(), params)


def _secret_near(text: bytes, match: re.Match, provider_key: str) -> bool:
    """Whether a mixed-case string shaped like this provider's secret is within the window around the ID.

    Mixed case keeps hex digests (git hashes, MD5s) out; the URL-encoded base64 of a presigned URL's
    signature has the wrong length.
    """
    start, end = max(0, match.start() - SECRET_WINDOW_BYTES), match.end() + SECRET_WINDOW_BYTES
    for candidate in _SECRETS[provider_key].finditer(text, start, end):
        token = candidate.group()
        if candidate.start() != match.start() and _UPPER.intersection(token) and _LOWER.intersection(token):
            return True
    return False


def _service_finding(script: Script, match: re.Match) -> Finding:
    service = _SERVICES[match.lastgroup]
    what, shown = f"{service} {_TOKEN_KINDS[match.group()[:1]]}", _redacted(match.group())
    return script.finding(
        "secret.service_token", f"{what} {shown} is in the package: revoke it in {service} now.",
        match.start(), {"service": service, "key": shown})


def _password_ends(text: bytes) -> list[int]:
    """Offsets of each "@" that could end a URL's `user:password` (see `_NOT_BEFORE_PASSWORD_END`)."""
    ends, at = [], text.find(b"@", 1)
    while at > 0:
        if text[at - 1] not in _NOT_BEFORE_PASSWORD_END:
            ends.append(at)
        at = text.find(b"@", at + 1)
    return ends


def _url_password_finding(script: Script, at: int) -> Finding | None:
    """A finding for the URL whose `user:password@` ends at `at`, unless there is none or it is a placeholder."""
    text = script.text
    userinfo = _URL_USERINFO.search(text, max(0, at - URL_LOOKBACK_BYTES), at)
    host = _URL_HOST.match(text, at + 1)
    if userinfo is None or host is None or _is_placeholder(userinfo.group(3).decode("utf-8", errors="replace")):
        return None
    scheme, user = userinfo.group(1).decode(), userinfo.group(2).decode("utf-8", errors="replace")
    shown = f"{scheme}://{user}:…@{host.group().decode()}"
    return script.finding(
        "secret.url_password", f"The URL {shown} carries a password: change it and keep the URL on your server.",
        userinfo.start(), {"url": shown})


def _is_placeholder(password: str) -> bool:
    """`password`, `YOUR_PASSWORD`, `****`, `${DB_PASS}`, `<password>`, `%s`: a template, not a leaked password."""
    if password[0] in "$%{<[" or len(set(password)) == 1:
        return True
    return "".join(character for character in password.lower() if character.isalnum()) in PLACEHOLDER_PASSWORDS


def _org_finding(script: Script, match: re.Match) -> Finding:
    shown = _redacted(match.group())
    return script.finding(
        "secret.org_api_key",
        f"Console API key {shown} is in the package: revoke it in the console and create a new one.",
        match.start(), {"key": shown})


def _redacted(secret: bytes) -> str:
    return f"{secret[:SHOWN_CHARS].decode('ascii', errors='replace')}… ({len(secret)} characters)"
