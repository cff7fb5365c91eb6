"""Celery tasks of the programs app: thin wrappers around programs.scans."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from programs import scans


@shared_task(
    acks_late=True, reject_on_worker_lost=True,
    soft_time_limit=settings.SCAN_TIME_LIMIT_SECONDS, time_limit=settings.SCAN_TIME_LIMIT_SECONDS + 30,
    autoretry_for=(OperationalError, ConnectionError), retry_backoff=5, retry_backoff_max=120, max_retries=5,
)
def scan_version(version_id: int) -> None:
    try:
        scans.version_scan(version_id)
    except SoftTimeLimitExceeded:
        scans.version_scan_timed_out(version_id)


@shared_task(soft_time_limit=60, time_limit=90)
def requeue_stuck_scans() -> list[int]:
    return scans.scans_requeue_stuck()
