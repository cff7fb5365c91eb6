"""Validation of a program's server-domain allowlists (request, upload, download, socket)."""

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DOMAIN_KINDS = ("request", "upload", "download", "socket")
MAX_DOMAINS_PER_KIND = 20
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
# A host whose last label is a number (`127.1`, `0x7f.0x1`) is an IPv4 address to browsers (WHATWG URL).
_NUMERIC_LABEL = re.compile(r"^(\d+|0x[0-9a-f]*)\Z")


def _scheme_for(kind: str) -> str:
    return "wss" if kind == "socket" else "https"


def _check_host(host: str, entry: str) -> None:
    if not host:
        raise ValidationError(_("“%(entry)s” has no host name.") % {"entry": entry})
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        is_ip = bool(_NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]))
    else:
        is_ip = True
    if is_ip:
        raise ValidationError(_("“%(entry)s” is an IP address; use a domain name.") % {"entry": entry})
    if host == "localhost" or host.endswith(".localhost") or "." not in host:
        raise ValidationError(_("“%(entry)s” is not a public domain name.") % {"entry": entry})
    if not all(_LABEL.match(label) for label in host.split(".")):
        raise ValidationError(_("“%(entry)s” is not a valid domain name.") % {"entry": entry})


def normalise_domain(kind: str, entry: str) -> str:
    """`https://api.example.com[:port]` (or `wss://` for sockets), lower-cased, without path; else ValidationError."""
    entry = entry.strip()
    scheme = _scheme_for(kind)
    if "://" not in entry:
        entry = f"{scheme}://{entry}"
    try:
        parts = urlsplit(entry)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValidationError(_("“%(entry)s” is not a valid URL.") % {"entry": entry}) from None
    if parts.scheme.lower() != scheme:
        raise ValidationError(
            _("“%(entry)s”: %(kind)s domains must use %(scheme)s://.") % {"entry": entry, "kind": kind, "scheme": scheme}
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(_("“%(entry)s”: give only the scheme and host, no path.") % {"entry": entry})
    host = (parts.hostname or "").lower()
    _check_host(host, entry)
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(_("“%(entry)s” has an invalid port.") % {"entry": entry}) from None
    if port == 443:  # the default port of https and wss: the same server as without it
        port = None
    return f"{scheme}://{host}{f':{port}' if port else ''}"


class DomainListError(ValidationError):
    """A list's problems, each under the index of its entry in the list as given (None: the list as a whole)."""

    def __init__(self, by_index: dict[int | None, list[str]]):
        super().__init__([message for messages in by_index.values() for message in messages])
        self.by_index = by_index


def normalise_domain_list(kind: str, entries: list[str]) -> list[str]:
    """Validate a list; refuse duplicates; keep the user's order. Refused: DomainListError."""
    if len(entries) > MAX_DOMAINS_PER_KIND:
        raise DomainListError({None: [
            _("At most %(n)d %(kind)s domains.") % {"n": MAX_DOMAINS_PER_KIND, "kind": kind}]})
    result: list[str] = []
    errors: dict[int | None, list[str]] = {}
    for index, entry in enumerate(entries):
        if not entry.strip():
            continue
        try:
            value = normalise_domain(kind, entry)
        except ValidationError as exc:
            errors.setdefault(index, []).extend(exc.messages)
            continue
        if value in result:
            errors.setdefault(index, []).append(_("“%(entry)s” is listed twice.") % {"entry": value})
        result.append(value)
    if errors:
        raise DomainListError(errors)
    return result


def host_of(domain_entry: str) -> str:
    """`https://api.example.com:8443` → `api.example.com:8443` (what the scanner compares against)."""
    return domain_entry.split("://", 1)[-1]
