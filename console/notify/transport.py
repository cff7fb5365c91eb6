"""Sending one webhook request: signing, the SSRF guard and the HTTP POST. No ORM, no Django settings.

The caller decides whether private addresses are allowed (only in development and tests) and stores
the outcome; this module only talks to the network, so it can be tested against a local server.
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT_BYTES = 2048
USER_AGENT = "MiniProgramConsole-Webhooks/1.0"


class TargetRefused(Exception):
    """The URL points somewhere the console must not send requests (SSRF guard)."""


@dataclass(frozen=True)
class Response:
    status: int
    body_excerpt: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`X-Console-Signature`: HMAC-SHA256 of "<timestamp>.<body>" keyed with the endpoint's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# IPv6 ranges that carry an IPv4 address inside (NAT64, 6to4, Teredo, IPv4-compatible and -translated): a
# gateway on the way turns them into that IPv4 address, 64:ff9b::a00:5 into 10.0.0.5, and Python's is_global
# judges the IPv6 address, not the one inside. No webhook receiver needs them.
IPV4_CARRYING_RANGES = [ipaddress.ip_network(n) for n in (
    "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96", "::ffff:0:0:0/96")]


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif any(ip in network for network in IPV4_CARRYING_RANGES):
            return False
    # is_global excludes private, loopback, link-local, reserved, unspecified and shared (100.64/10) space.
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allow_private: bool) -> tuple[str, int, str]:
    """(scheme, port, address to connect to) for `url`, refusing private targets unless allowed.

    Every address the name resolves to must be public: otherwise a name with one public and one
    internal record could still reach the inside.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefused(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    # A name that does not resolve raises socket.gaierror (an OSError): possibly transient, so retried.
    infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not allow_private and not all(is_public_address(a) for a in addresses):
        # Not which address: the delivery log would tell the organisation how internal names resolve.
        raise TargetRefused(f"{parts.hostname} resolves to a non-public address")
    return parts.scheme, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to a second DNS answer (no DNS rebinding)."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, as for any HTTPS request.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str], allow_private: bool) -> Response:
    """POST `body` once. Redirects are not followed: a 3xx is an answer like any other non-2xx.

    Raises TargetRefused for a forbidden target and OSError (including timeouts) for network failures.
    """
    scheme, port, address = resolve(url, allow_private=allow_private)
    parts = urlsplit(url)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address=address, timeout=TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not path.isascii():  # stored before URLs were normalised (`webhooks.validate_webhook_url`)
        path = quote(path, safe="/?=&%:@!$'()*+,;~")
    try:
        connection.request("POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_BYTES).decode("utf-8", errors="replace")
        return Response(status=response.status, body_excerpt=excerpt)
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP response: {exc!r}") from exc
    finally:
        connection.close()
