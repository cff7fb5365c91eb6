"""Background work of the console app: sending email and pruning old invitations."""

from datetime import timedelta

from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone

from console.models import Invitation

TRANSIENT_MAIL_ERRORS = (ConnectionError, TimeoutError, OSError)


@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS, retry_backoff=30, retry_backoff_max=3600, max_retries=8,
    soft_time_limit=60, time_limit=90,
)
def send_email(subject: str, body: str, recipients: list[str], from_email: str | None = None) -> None:
    send_mail(subject=subject, message=body, from_email=from_email, recipient_list=recipients)


@shared_task(soft_time_limit=120, time_limit=180)
def delete_stale_invitations(days: int = 30) -> int:
    """Invitations that ended (expired, revoked or accepted) more than `days` ago are removed."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Invitation.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
