"""Settings for the test suite: production's settings plus what tests need, each said explicitly.

pytest names this module (pyproject.toml); the real worker processes some tests start use it too.
Production settings never ask whether tests are running.
"""

import os

from console.settings import *  # noqa: F403
from console.settings import (
    CACHE_KEY_PREFIX,
    CELERY_BROKER_URL,
    REDIS_URL,
    VAR_DIR,
    env_bool,
    filesystem_broker_options,
)

# PostgreSQL as in production, except that a transactional test's flush deletes rows instead of truncating
# (console/tests/postgresql/base.py says why).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "console.tests.postgresql"  # noqa: F405

# Fast hashing: thousands of users are created.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Plain static files: no collectstatic before a run.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

# A cache of the test process's own unless the run names a Redis database; each xdist worker (which clears
# its cache between tests) gets its own database, and keeps there too what else it would put in Redis (the
# ingest's seen event ids, the host runtime store), so that clearing the cache clears them and no worker
# sees another's.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1 … under pytest-xdist
_XDIST_INDEX = int(_XDIST_WORKER.removeprefix("gw") or 0)


def _redis_database_moved(url: str, by: int) -> str | None:
    """`url` with its Redis database number moved by `by` (modulo 16); None when it names no number."""
    base, _slash, database = url.rpartition("/")
    return f"{base}/{(int(database) + by) % 16}" if database.isdigit() else None


if REDIS_URL and _XDIST_WORKER:
    if _moved := _redis_database_moved(REDIS_URL, _XDIST_INDEX):
        REDIS_URL = _moved
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                              "LOCATION": REDIS_URL, "KEY_PREFIX": CACHE_KEY_PREFIX}}
        if not os.environ.get("HOST_STORE_URL"):
            HOST_STORE_URL = REDIS_URL
elif os.environ.get("TEST_CACHE_DIR"):
    # A test that shares the cache with a worker process it starts (the heartbeat of /healthz/).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": os.environ["TEST_CACHE_DIR"], "KEY_PREFIX": CACHE_KEY_PREFIX}}
elif not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}

# Tasks run in the test process unless a test starts a real worker (which sets CELERY_TASK_ALWAYS_EAGER=0).
# Each xdist worker has a broker of its own (and the real workers its tests start inherit it, with the
# environment), so that one test's worker never takes another's messages.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
if CELERY_BROKER_URL == "filesystem://":
    # A folder of the tests' own, so that a `make run` worker never takes their messages.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / f"broker-test{_XDIST_WORKER}")
elif _XDIST_WORKER and not os.environ.get("TEST_BROKER_OF") and (
        _moved := _redis_database_moved(CELERY_BROKER_URL, -_XDIST_INDEX)):
    # Redis databases counted down from the broker's while the caches count up from theirs (13, 12 and 14, 15
    # in CI): eight workers never meet. Celery reads CELERY_BROKER_URL from the environment before its
    # settings, so the split is made there, once: the real workers a test starts inherit it as it is.
    # (kombu's global_keyprefix would need no database, but its passive queue_declare then finds no queue.)
    CELERY_BROKER_URL = _moved
    os.environ.update(CELERY_BROKER_URL=CELERY_BROKER_URL, TEST_BROKER_OF=_XDIST_WORKER)

# The host runtime store: a file per xdist worker (each test clears it), so that a `make run` never shares theirs.
if not os.environ.get("HOST_STORE_URL") and not REDIS_URL:
    HOST_STORE_URL = f"sqlite:///{VAR_DIR / ('host-store-test-' + (_XDIST_WORKER or 'main'))}.sqlite3"

# Metrics of the test processes (and the workers they start) apart from `make run`'s.
PROMETHEUS_MULTIPROC_DIR = VAR_DIR / f"prometheus-test{_XDIST_WORKER}"

# The SSRF guard is on, as in production; the tests that deliver to a receiver on 127.0.0.1 turn it off
# themselves (the `private_webhook_targets` fixture).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
