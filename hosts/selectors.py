"""Reads of the host catalog."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from console import sql
from hosts.memo import TtlMemo
from hosts.models import Host, HostCredential, PackageSizeLimit, Scene


def active_hosts() -> QuerySet[Host]:
    return Host.objects.filter(active=True)


# The names a stats filter lists change only when an operator edits the host catalog. Each process reads
# them again when they are this old, so an edit shows in the filters within a minute; the dashboard no
# longer pays two reads for them on every request.
CATALOG_NAMES_SECONDS = 60.0
_catalog_names = TtlMemo(lambda: CATALOG_NAMES_SECONDS, max_entries=1)


def filter_names() -> tuple[list[Host], list[Scene]]:
    """The active hosts and every scene, in catalog order, with their codes and names only (for a filter).

    Unsaved objects, so that `display_name` stays the one rule for the interface language; read-only,
    shared by the requests of CATALOG_NAMES_SECONDS.
    """
    return _catalog_names.get("filters", _read_filter_names)


def host_names_of(codes) -> dict[str, str]:
    """Names (in the interface language) of the active hosts among these codes, from `filter_names`."""
    hosts, _scenes = filter_names()
    return {host.code: host.display_name for host in hosts if host.code in codes}


def forget_catalog_names() -> None:
    """Read the filters' names afresh on next use (tests; this process only)."""
    _catalog_names.clear()


def _read_filter_names() -> tuple[list[Host], list[Scene]]:
    # SQL of our own: Django building the two queries cost more CPU than running them (console/sql.py).
    hosts, scenes = sql.fetch_together(Host, [
        (f"SELECT code, name, name_zh FROM {sql.table(Host)} WHERE active ORDER BY position, code", []),
        (f"SELECT s.code, s.name, s.name_zh FROM {sql.table(Scene)} s "
         f"JOIN {sql.table(Host)} h ON h.id = s.host_id ORDER BY h.position, s.position, s.code", []),
    ])
    return ([Host(code=code, name=name, name_zh=name_zh) for code, name, name_zh in hosts],
            [Scene(code=code, name=name, name_zh=name_zh) for code, name, name_zh in scenes])


def host_names(codes) -> list[str]:
    """Names (in the interface language) of the hosts with these codes, in catalog order; unknown codes as is."""
    hosts = list(Host.objects.filter(code__in=list(codes)))
    known = {h.code for h in hosts}
    return [h.display_name for h in hosts] + [c for c in codes if c not in known]


def size_limits_for_host(host_code: str | None) -> dict[str, dict[str, int]]:
    """Limits per dialect for scans aimed at `host_code` (or the defaults when None).

    A host's own row wins over the dialect default.
    """
    limits: dict[str, dict[str, int]] = {}
    rows = PackageSizeLimit.objects.select_related("host")
    for row in sorted(rows, key=lambda r: r.host_id is not None):
        if row.host_id is None or (host_code and row.host.code == host_code):
            limits[row.dialect] = row.as_dict()
    return limits


# ---------------------------------------------------------------- credentials for host calls


@dataclass(frozen=True)
class CredentialFacts:
    """What authenticating a host call needs, cached per process for GATE_REFRESH_SECONDS."""

    id: int
    key_id: str
    secret: str
    host_code: str
    host_active: bool
    requests_per_minute: int


def _facts_ttl() -> float:
    return settings.GATE_REFRESH_SECONDS


_credentials = TtlMemo(_facts_ttl)


def _load_credential(key_id: str) -> CredentialFacts | None:
    row = (HostCredential.objects.filter(key_id=key_id, revoked_at=None).select_related("host").first())
    if row is None or row.secret is None:  # (None: sealed under a SECRET_KEY no longer configured, logged)
        return None
    return CredentialFacts(
        id=row.pk, key_id=row.key_id, secret=row.secret, host_code=row.host.code, host_active=row.host.active,
        requests_per_minute=row.requests_per_minute or settings.HOST_REQUESTS_PER_MINUTE,
    )


def active_credential(key_id: str) -> CredentialFacts | None:
    """The active credential with this key id, or None (unknown or revoked); at most a second old."""
    if not key_id or len(key_id) > 40:
        return None
    return _credentials.get(key_id, lambda: _load_credential(key_id))


def forget_cached_credentials() -> None:
    _credentials.clear()


def credentials_for_host(host: Host) -> QuerySet[HostCredential]:
    return host.credentials.all()


def demo_credential_to_show(host_code: str) -> tuple[str, str] | None:
    """The demo credential (key id, secret) where showing it helps a newcomer: DEBUG on and the credential active.

    Production never shows one: a host credential belongs to the host platform, not to developers.
    """
    from django.conf import settings

    from hosts.models import HostCredential
    from hosts.services import demo_key_material

    if not settings.DEBUG:
        return None
    key_id, secret = demo_key_material(host_code)
    active = HostCredential.objects.filter(key_id=key_id, revoked_at=None).exists()
    return (key_id, secret) if active else None


def host_operated_by(user, code: str) -> Host:
    """The host `code` if `user` operates it (or is a superuser); otherwise 404, as for a host that does not exist.

    Operating takes both the platform operators' group and the host's list: someone taken out of the group
    (leaving the team) still read the host's stats while the host's list named them.
    """
    from django.http import Http404

    host = Host.objects.filter(code=code).first()
    operates = user.is_platform_operator and host is not None and host.operators.filter(pk=user.pk).exists()
    if host is None or not (user.is_superuser or operates):
        raise Http404
    return host
