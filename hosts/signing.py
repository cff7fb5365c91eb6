"""The host-call signature of SPEC §9, shared by the server and the host client.

Standard library only, no Django: `hosts/client.py` imports it, and an integrator can copy both files.

    X-Host-Key:       <key id>
    X-Host-Timestamp: <unix seconds>
    X-Host-Signature: sha256=<hex>

where hex is HMAC-SHA256, under the key's secret, of

    "<timestamp>\\n<METHOD>\\n<path with query>\\n" followed by the raw body bytes.
"""

from __future__ import annotations

import hashlib
import hmac

KEY_HEADER = "X-Host-Key"
TIMESTAMP_HEADER = "X-Host-Timestamp"
SIGNATURE_HEADER = "X-Host-Signature"
SCHEME = "sha256="


def string_to_sign(timestamp: str | int, method: str, path: str, body: bytes) -> bytes:
    """The bytes the signature covers; `path` includes `?query` exactly as sent, if there is one."""
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + (body or b"")


def signature(secret: str, timestamp: str | int, method: str, path: str, body: bytes) -> str:
    """The `X-Host-Signature` header value: `sha256=<hex>`."""
    digest = hmac.new(secret.encode(), string_to_sign(timestamp, method, path, body), hashlib.sha256).hexdigest()
    return SCHEME + digest


def signed_headers(key_id: str, secret: str, timestamp: int, method: str, path: str, body: bytes) -> dict[str, str]:
    return {
        KEY_HEADER: key_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, method, path, body),
    }


def signature_matches(secret: str, timestamp: str, method: str, path: str, body: bytes, given: str) -> bool:
    """Constant-time comparison; says nothing about which part differed."""
    return hmac.compare_digest(signature(secret, timestamp, method, path, body).encode(), given.encode())
