"""Load idempotent demo data: every installed app's `demo.load(demo)`, in INSTALLED_APPS order."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from console.demo import DEMO_PASSWORD, Demo


class Command(BaseCommand):
    help = "Load demo organisations, users, programs and stats (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")
        parser.add_argument("--without-traffic", action="store_true",
                            help="Leave out the month of simulated stats traffic (half the load's time), for tests "
                                 "that never look at stats; the dashboards then show their empty state.")

    def handle(self, *args, force=False, without_traffic=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("demo_data refuses to run with DEBUG off; pass --force if you really mean it.")
        demo = Demo(traffic=not without_traffic)
        with transaction.atomic():
            # `<app>.demo` loaders first, then `<app>.demo_late` ones that need every app's data.
            for stage in ("demo", "demo_late"):
                for config in apps.get_app_configs():
                    module_name = f"{config.name}.{stage}"
                    if find_spec(config.name) and find_spec(module_name):
                        import_module(module_name).load(demo)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): developer@example.com, reviewer@example.com, "
                          "operator@example.com, admin@example.com")
        for line in demo.lines:
            self.stdout.write(line)
