"""Print the key the host user ids are hashed with, as a STATS_USER_HASH_KEY line, to pin it before a SECRET_KEY
rotation: without STATS_USER_HASH_KEY the key derives from SECRET_KEY, and a new SECRET_KEY would hash every
host user anew, so that each counted as a new user."""

import base64

from django.conf import settings
from django.core.management.base import BaseCommand

from stats.ingest import RAW_KEY_PREFIX, user_hash_key


class Command(BaseCommand):
    help = ("Print STATS_USER_HASH_KEY=… for the key host user ids are hashed with now. Set it in the environment "
            "before rotating SECRET_KEY, so that every host user keeps their hash. It is a secret: keep it with "
            "SECRET_KEY.")

    def handle(self, *args, **options):
        if settings.STATS_USER_HASH_KEY:
            self.stderr.write("STATS_USER_HASH_KEY is set already; SECRET_KEY can be rotated without touching it.")
        self.stdout.write(f"STATS_USER_HASH_KEY={RAW_KEY_PREFIX}{base64.b64encode(user_hash_key()).decode()}")
