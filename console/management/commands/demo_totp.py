"""Print the current two-factor code of each demo staff account (their fixed demo authenticators)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.twofactor.services import DEMO_DEVICE_NAME, base32_secret, totp_now


class Command(BaseCommand):
    help = "Print the current two-factor codes of the demo staff accounts (development only)."

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="*", help="Only these accounts (default: every demo staff account).")
        parser.add_argument("--secret", action="store_true", help="Also print the key, to add to an authenticator app.")

    def handle(self, *args, email, secret, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp runs only with DEBUG on: demo authenticators are for development.")
        devices = TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True).select_related("user")
        if email:
            devices = devices.filter(user__email__in=[e.lower() for e in email])
        if not devices:
            raise CommandError("No demo authenticator found: run `python manage.py demo_data` first.")
        left = 30 - int(time.time()) % 30
        for device in devices.order_by("user__email"):
            line = f"{device.user.email}: {totp_now(device)}"
            if secret:
                line += f"   key {base32_secret(device)}"
            self.stdout.write(line)
        self.stdout.write(f"(codes change every 30 seconds; these for {left} more)")
