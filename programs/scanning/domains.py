"""Host names: IP literals, registrable domains and allowlist matching.

WeChat-style hosts match an allowlist entry exactly, port included (an entry without a port only
matches URLs without one, not even `:443`). Alipay-style hosts match by registrable domain
("eTLD+1"): `api.shop.example.com.cn` is allowed by `example.com.cn`. The public-suffix rule here is
hand-written rather than the full Public Suffix List: the common two-level country suffixes (so
`example.com.cn` is not collapsed to `com.cn`) and a few shared hosting suffixes where every
subdomain belongs to a different owner (so `a.github.io` does not allow `b.github.io`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MULTI_LABEL_SUFFIXES = frozenset({
    # China
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "mil.cn", "bj.cn", "sh.cn", "gd.cn", "zj.cn",
    # Hong Kong, Macau, Taiwan, Singapore, Malaysia
    "com.hk", "org.hk", "net.hk", "edu.hk", "gov.hk", "com.mo", "com.tw", "org.tw", "net.tw", "edu.tw",
    "com.sg", "edu.sg", "gov.sg", "com.my",
    # UK, Japan, Korea, Australia, New Zealand, India, Brazil, others
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "co.jp", "ne.jp", "or.jp", "ac.jp",
    "go.jp", "co.kr", "or.kr", "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz",
    "co.in", "net.in", "org.in", "com.br", "net.br", "com.mx", "com.tr", "co.za", "com.ar", "co.id",
    "com.vn", "com.ph", "co.th",
    # Shared hosting: each subdomain is a different customer.
    "github.io", "gitee.io", "vercel.app", "netlify.app", "pages.dev", "workers.dev", "herokuapp.com",
    "appspot.com", "cloudfront.net", "azurewebsites.net", "web.app", "firebaseapp.com",
})
_PLAIN_AUTHORITY = re.compile(r"([A-Za-z0-9.-]+)(?::(\d{1,5}))?$")
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True)
class HostPort:
    host: str
    port: str | None  # as written; None when the URL or entry names no port

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host


def parse_netloc(netloc: str) -> HostPort | None:
    """Host and explicit port of a URL authority, or None when it is malformed."""
    plain = _PLAIN_AUTHORITY.match(netloc)
    if plain:  # the common case, without urllib's general parsing
        return HostPort(plain.group(1).rstrip(".").lower(), plain.group(2))
    try:
        parts = urlsplit("//" + netloc)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    return HostPort(host.rstrip(".").lower(), str(port) if port is not None else None)


def parse_allowlist_entry(entry: str) -> HostPort | None:
    """Allowlist entries may be written as `host`, `host:port` or a full URL."""
    entry = entry.strip()
    netloc = urlsplit(entry).netloc if "://" in entry else entry.split("/")[0]
    return parse_netloc(netloc)


def is_ip_or_local(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    if not (host[:1].isdigit() or ":" in host):  # not an IPv4 or IPv6 literal; skip the costly parse
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str:
    labels = host.lower().rstrip(".").split(".")
    if len(labels) <= 2:
        return ".".join(labels)
    suffix_length = 2 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 1
    return ".".join(labels[-(suffix_length + 1):])


def is_allowed(target: HostPort, allowlist: list[str], *, exact: bool) -> bool:
    entries = [entry for entry in map(parse_allowlist_entry, allowlist) if entry is not None]
    if exact:
        return any(entry.host == target.host and entry.port == target.port for entry in entries)
    wanted = registrable_domain(target.host)
    return any(registrable_domain(entry.host) == wanted for entry in entries)
