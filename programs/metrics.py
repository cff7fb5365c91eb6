"""Prometheus figures of programs: scan latency (observed by the worker) and versions waiting (at scrape time)."""

from django.db.models import Count
from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily

from console.metrics import scrape_collector_register
from programs.models import Version

S = Version.Status
WAITING = (S.UPLOADED, S.SCANNING, S.IN_REVIEW)

SCAN_LATENCY = Histogram(
    "console_scan_latency_seconds", "From the upload (the scan queued) to the stored scan report.", ["outcome"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)


def scan_observe(version: Version) -> None:
    if version.scan_queued_at and version.scan_finished_at:
        seconds = (version.scan_finished_at - version.scan_queued_at).total_seconds()
        SCAN_LATENCY.labels(outcome=version.status).observe(max(seconds, 0.0))


class WaitingVersionsCollector:
    def collect(self):
        counts = dict(Version.objects.filter(status__in=WAITING).values_list("status").annotate(n=Count("pk")))
        family = GaugeMetricFamily("console_versions_waiting", "Versions waiting for a scan or a review.",
                                   labels=["status"])
        for status in WAITING:
            family.add_metric([status], counts.get(status, 0))
        yield family


scrape_collector_register(WaitingVersionsCollector())
