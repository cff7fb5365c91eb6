"""Leaked secrets in shipped text files: private keys, cloud access keys, the org's own API keys.

Everything in a package ends up on users' devices, so comments and strings are scanned too. Each
pattern has a literal anchor; a plain substring test picks the files worth a regex pass. Messages
show only a prefix of the secret: reports are stored and shown in several places.
"""

from __future__ import annotations

import re

from .findings import Finding
from .jssource import Script
from .package import TEXT_EXTENSIONS, Package, extension

_CLOUD_AND_KEYS = re.compile(
    r"""
      (?P<private_key>-----BEGIN\ (?:[A-Z0-9]+\ )*PRIVATE\ KEY(?:\ BLOCK)?-----)
    | (?P<aws>(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9]))
    | (?P<alibaba>(?<![A-Za-z0-9])LTAI[A-Za-z0-9]{12,20}(?![A-Za-z0-9]))
    | (?P<tencent>(?<![A-Za-z0-9])AKID[A-Za-z0-9]{32}(?![A-Za-z0-9]))
    """,
    re.VERBOSE,
)
_ANCHORS = ("PRIVATE KEY", "AKIA", "ASIA", "LTAI", "AKID")
_PROVIDERS = {"aws": "AWS access key ID", "alibaba": "Alibaba Cloud AccessKey ID", "tencent": "Tencent Cloud SecretId"}
ORG_KEY_MIN_TAIL = 6
SHOWN_CHARS = 8


def check_secrets(package: Package, org_key_prefixes: list[str]) -> list[Finding]:
    org_keys = _org_key_pattern(org_key_prefixes)
    anchors = _ANCHORS + tuple(prefix for prefix in org_key_prefixes if prefix)
    findings = []
    for name in package.shipped:
        if extension(name) not in TEXT_EXTENSIONS:
            continue
        text = package.text(name)
        if text is None or not any(anchor in text for anchor in anchors):
            continue
        script = Script(name, text)
        findings += [_cloud_finding(script, match) for match in _CLOUD_AND_KEYS.finditer(text)]
        if org_keys is not None:
            findings += [_org_finding(script, match) for match in org_keys.finditer(text)]
    return findings


def _org_key_pattern(prefixes: list[str]) -> re.Pattern | None:
    prefixes = [prefix for prefix in prefixes if prefix]
    if not prefixes:
        return None
    alternatives = "|".join(re.escape(prefix) for prefix in sorted(prefixes, key=len, reverse=True))
    return re.compile(f"(?:{alternatives})[A-Za-z0-9_-]{{{ORG_KEY_MIN_TAIL},}}")


def _cloud_finding(script: Script, match: re.Match) -> Finding:
    if match.lastgroup == "private_key":
        return script.finding(
            "secret.private_key", "A private key is in the package: revoke it and keep keys on your server.",
            match.start())
    provider = _PROVIDERS[match.lastgroup]
    return script.finding(
        "secret.cloud_key",
        f"{provider} {_redacted(match.group())} is in the package: disable it in the cloud console now.",
        match.start())


def _org_finding(script: Script, match: re.Match) -> Finding:
    return script.finding(
        "secret.org_api_key",
        f"Console API key {_redacted(match.group())} is in the package: revoke it in the console and create a "
        "new one.", match.start())


def _redacted(secret: str) -> str:
    return f"{secret[:SHOWN_CHARS]}… ({len(secret)} characters)"
