"""Background work of the console app: sending email, pruning old invitations, delivering webhooks."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from console import health
from console.models import Invitation
from console.notify import webhooks

TRANSIENT_MAIL_ERRORS = (ConnectionError, TimeoutError, OSError)


# Waits of at most TASK_RETRY_WAIT_MAX_SECONDS: on Redis a message waiting longer than the broker's
# visibility timeout is handed out again, and an email would go twice (a production probe saw it at 1,000 s).
# 20 tries, 30 s doubling to 10 minutes, cover a mail server away for about three hours.
@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS, retry_backoff=30, retry_backoff_max=settings.TASK_RETRY_WAIT_MAX_SECONDS,
    max_retries=20, soft_time_limit=60, time_limit=90,
)
def send_email(subject: str, body: str, recipients: list[str], from_email: str | None = None) -> None:
    send_mail(subject=subject, message=body, from_email=from_email, recipient_list=recipients)


@shared_task(soft_time_limit=120, time_limit=180)
def delete_stale_invitations(days: int = 30) -> int:
    """Invitations that ended (expired, revoked or accepted) more than `days` ago are removed."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Invitation.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


# ---------------------------------------------------------------- webhooks


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
    soft_time_limit=30, time_limit=45,
)
def deliver_webhook(self, delivery_id: str, attempt: int = 1) -> None:
    """Make one attempt; on a non-2xx answer or a network error, come back later with the next attempt number.

    The backoff (30 s, 2 min, 10 min, 1 h, 6 h; 6 attempts) lives in console.notify.webhooks; the
    attempt number is the idempotency guard, so a duplicated message sends nothing twice.
    """
    retry_in = webhooks.webhook_delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if retry_in is None:
        return
    if self.request.is_eager:
        # Eager mode (tests, demos) has no broker to hold a countdown: the next attempt runs at once.
        self.apply(args=(delivery_id, attempt + 1))
        return
    raise self.retry(args=(delivery_id, attempt + 1), kwargs={}, countdown=retry_in)


@shared_task(soft_time_limit=60, time_limit=90)
def requeue_stranded_webhook_deliveries() -> list[str]:
    return webhooks.webhook_deliveries_requeue_stranded()


@shared_task(soft_time_limit=300, time_limit=360)
def prune_webhook_deliveries(days: int = 30) -> int:
    return webhooks.webhook_deliveries_prune(days=days)


@shared_task(soft_time_limit=300, time_limit=360)
def prune_idempotent_requests() -> int:
    from console.idempotency import idempotent_requests_prune

    return idempotent_requests_prune()


@shared_task(ignore_result=True, soft_time_limit=10, time_limit=20, expires=120)
def heartbeat() -> float:
    """Beat sends it every minute; a worker running it proves both alive to /healthz/."""
    return health.heartbeat_record()
