"""Prometheus metrics at /metrics/: queue depth, scan latency, task failures.

Web and worker processes on one host write their samples into PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode) and /metrics/ adds them up; queue depth is read from the broker at scrape time, and apps
add their own scrape-time figures with `scrape_collector_register` (programs: scan latency, waiting versions).
The endpoint is for the scraper only: with METRICS_TOKEN set it wants `Authorization: Bearer <token>`
(Prometheus's `authorization` scrape setting); without it, only DEBUG answers, and only to 127.0.0.1.
Anything else gets 404, as if there were no such page.
"""

import hmac
import os

from django.conf import settings

# Before prometheus_client is imported: its value classes read the directory once.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.PROMETHEUS_MULTIPROC_DIR))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest  # noqa: E402
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

QUEUES = ("celery", "scans", "maintenance")

TASK_FAILURES = Counter("console_task_failures", "Celery tasks that raised (retries excluded).", ["task"])
_SCRAPE_COLLECTORS: list = []


def scrape_collector_register(collector) -> None:
    """An object with `collect()` yielding metric families, asked at every scrape."""
    _SCRAPE_COLLECTORS.append(collector)


def task_failure_count(sender=None, **kwargs) -> None:
    """Celery's `task_failure` signal (connected in console.celery)."""
    TASK_FAILURES.labels(task=getattr(sender, "name", None) or "unknown").inc()


def queue_depth(queue: str) -> int:
    from console.celery import app

    with app.connection_for_read() as connection:
        try:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
        except Exception:  # a queue nobody declared yet holds nothing
            return 0


class QueueDepthCollector:
    def collect(self):
        depth = GaugeMetricFamily("console_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
        for queue in QUEUES:
            depth.add_metric([queue], queue_depth(queue))
        yield depth


def render() -> bytes:
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    for collector in [QueueDepthCollector(), *_SCRAPE_COLLECTORS]:
        registry.register(collector)
    return generate_latest(registry)


def scraper_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return settings.DEBUG and request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}


CONTENT_TYPE = CONTENT_TYPE_LATEST
