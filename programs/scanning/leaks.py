"""Leaked secrets in shipped text files: private keys, cloud access keys, the org's own API keys.

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
ORG_KEY_MIN_TAIL = 6
SHOWN_CHARS = 8


def check_secrets(package: Package, org_key_prefixes: list[str]) -> list[Finding]:
    org_keys = _org_key_pattern(org_key_prefixes)
    findings = []
    for name in package.shipped:
        if extension(name) in TEXT_EXTENSIONS and (source := source_of(package, name)) is not None:
            findings += secrets_in(source, org_keys)
    return findings


def secrets_in(script: Script, org_keys: re.Pattern | None) -> list[Finding]:
    text = script.text
    findings = [_private_key_finding(script, match) for match in _PRIVATE_KEY.finditer(text)]
    for match in _A_KEYS.finditer(text):
        if not _extends_token(text, match.start()):
            findings.append(_cloud_finding(script, match, match.lastgroup))
    for match in _ALIBABA.finditer(text):
        if not _extends_token(text, match.start()):
            findings.append(_cloud_finding(script, match, "alibaba"))
    if org_keys is not None:
        findings += [_org_finding(script, match) for match in org_keys.finditer(text)]
    return findings


def _extends_token(text: bytes, offset: int) -> bool:
    return offset > 0 and text[offset - 1:offset].isalnum()


def _org_key_pattern(prefixes: list[str]) -> re.Pattern | None:
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
    provider = _PROVIDERS[provider_key]
    return script.finding(
        "secret.cloud_key",
        f"{provider} {_redacted(match.group())} is in the package: disable it in the cloud console now.",
        match.start())


def _org_finding(script: Script, match: re.Match) -> Finding:
    return script.finding(
        "secret.org_api_key",
        f"Console API key {_redacted(match.group())} is in the package: revoke it in the console and create a "
        "new one.", match.start())


def _redacted(secret: bytes) -> str:
    return f"{secret[:SHOWN_CHARS].decode('ascii', errors='replace')}… ({len(secret)} characters)"
