"""Settings for bench/walk.py's server only: the console with DEBUG off (so 403/404 are the styled pages a
person sees), static files straight from the source folders (no collectstatic) and uploaded logos served."""

from console.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.walk_urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
