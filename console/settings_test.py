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

# Fast hashing: thousands of users are created.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Plain static files: no collectstatic before a run.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

# A cache of the test process's own unless the run names a Redis database; each xdist worker (which clears
# its cache between tests) gets its own database, and keeps there too what else it would put in Redis (the
# ingest's seen event ids, the host runtime store), so that clearing the cache clears them and no worker
# sees another's.
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw") or 0)
    _base, _slash, _db = REDIS_URL.rpartition("/")
    if _db.isdigit():
        REDIS_URL = f"{_base}/{(int(_db) + _worker) % 16}"
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
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
if CELERY_BROKER_URL == "filesystem://":
    # A folder of the tests' own, so that a `make run` worker never takes their messages.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "broker-test")

# The host runtime store: a file per xdist worker (each test clears it), so that a `make run` never shares theirs.
if not os.environ.get("HOST_STORE_URL") and not REDIS_URL:
    HOST_STORE_URL = f"sqlite:///{VAR_DIR / ('host-store-test-' + os.environ.get('PYTEST_XDIST_WORKER', 'main'))}.sqlite3"

# Metrics of the test processes (and the workers they start) apart from `make run`'s.
PROMETHEUS_MULTIPROC_DIR = VAR_DIR / "prometheus-test"

# The SSRF guard is on, as in production; the tests that deliver to a receiver on 127.0.0.1 turn it off
# themselves (the `private_webhook_targets` fixture).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
