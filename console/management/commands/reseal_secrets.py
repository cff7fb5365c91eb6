"""Seal every stored secret under the current SECRET_KEY: the step of a key rotation before its fallback goes."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from console.fields import SealedCharField
from console.sealing import Unsealable, reseal, rewrite_column


class Command(BaseCommand):
    help = ("Re-seal host credential and webhook secrets under the current SECRET_KEY. Run it after moving the "
            "old key into SECRET_KEY_FALLBACKS; once it has run, the fallback can be removed.")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                for model, field in _sealed_fields():
                    changed = rewrite_column(connection, model._meta.db_table, field.column, reseal)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {changed} re-sealed")
        except Unsealable as error:
            raise CommandError(f"{error}: nothing was changed. Put the key they were sealed with in "
                               "SECRET_KEY_FALLBACKS and run this again.") from error


def _sealed_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, SealedCharField):
                yield model, field
