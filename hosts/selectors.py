"""Reads of the host catalog."""

from django.db.models import QuerySet

from hosts.models import Host, PackageSizeLimit


def active_hosts() -> QuerySet[Host]:
    return Host.objects.filter(active=True)


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
