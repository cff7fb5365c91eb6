"""Beat tasks of the distribution app: grants expire by themselves, with a notice before (settings' beat schedule)."""

from celery import shared_task
from django.db import OperationalError

from distribution import services


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=180,
             autoretry_for=(OperationalError,), retry_backoff=10, retry_backoff_max=120, max_retries=3)
def expire_grants() -> int:
    """Expire every live grant whose end has passed (idempotent: each is a compare-and-swap)."""
    return services.grants_expire_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=180,
             autoretry_for=(OperationalError,), retry_backoff=10, retry_backoff_max=120, max_retries=3)
def notify_expiring_grants() -> int:
    """Tell organisations, once per grant, that a grant ends within the notice window."""
    return services.grants_notify_expiring()
