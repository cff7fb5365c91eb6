"""Celery tasks of the reviews app: thin wrappers around the auto-approval run and claim housekeeping."""

from celery import shared_task
from django.db import OperationalError

from reviews import autoapproval, services


@shared_task(
    acks_late=True, reject_on_worker_lost=True, soft_time_limit=240, time_limit=280,
    autoretry_for=(OperationalError,), retry_backoff=10, retry_backoff_max=120, max_retries=3,
)
def auto_approve_waiting() -> dict[str, int]:
    """Apply the auto-approval policy to waiting versions not yet evaluated (idempotent: once per submission)."""
    return autoapproval.auto_review_run()


@shared_task(soft_time_limit=60, time_limit=90)
def delete_expired_claims() -> int:
    """Housekeeping: expired claims are already free; this only removes their rows."""
    return services.claims_delete_expired()
