"""Settings for the mini-program developer console, read from the environment.

With nothing set this is the embedded default a newcomer gets from `make run`:
DEBUG on, SQLite, files under var/, a file-system cache and a Celery broker that
needs no server. Production names its services by URL (DATABASE_URL, REDIS_URL,
CELERY_BROKER_URL, S3 settings) and must turn DEBUG off, which makes SECRET_KEY
and ALLOWED_HOSTS mandatory.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from console.env import ConfigError, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError("SECRET_KEY must be set when DEBUG is off")
    # A development-only key, fresh per checkout, never committed.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
    SECRET_KEY = key_file.read_text().strip()
# Earlier keys, comma-separated, while rotating SECRET_KEY: sessions, signed links and sealed secrets
# (console/sealing.py) made with them still open. See README, "Rotating SECRET_KEY".
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS must be set when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Links in e-mails. Unset, it follows PORT, as `make run` (runconsole) does, so the demo data's e-mails,
# sent before the server starts, link to the port it then serves.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "console",
    "hosts",
    "programs",
    "reviews",
    "distribution",
    "stats",
    "console.admin_site.ConsoleAdminConfig",  # django.contrib.admin with a two-factor site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "console.thirdparty_apps.AxesConfig",  # django-axes, named in both languages
    "django_otp",
    "console.thirdparty_apps.TotpConfig",  # django_otp.plugins.otp_totp, named in both languages
    "console.thirdparty_apps.StaticConfig",  # django_otp.plugins.otp_static, named in both languages
]

MIDDLEWARE = [
    "console.middleware.ClientAddressMiddleware",  # first: everything after it sees the client's address
    "django.middleware.security.SecurityMiddleware",
    "console.middleware.ContentSecurityPolicyMiddleware",
    # Early, so that every later middleware's and view's error under /api/ gets the JSON shape (and the
    # security headers above still apply to it).
    "console.middleware.ApiErrorShapeMiddleware",
    "console.middleware.RefuseNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "console.middleware.UserLanguageMiddleware",
    "console.middleware.CurrentOrganisationMiddleware",
    "console.twofactor.middleware.StaffTwoFactorMiddleware",
    "console.middleware.ApiQueryParametersMiddleware",
    # After the session, CSRF and two-factor middleware: a stored answer goes only to the caller who got it.
    "console.idempotency.IdempotencyKeyMiddleware",
    # Last, so that it sees the lock-out flag the sign-in views set (console/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another.
_DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# A server database keeps each process's connection for a minute: opening one per request cost a
# signed-in page about a third of its time over HTTP (members page p50 56-58 ms -> 40-41 ms under
# gunicorn on PostgreSQL). The health check replaces a connection the server dropped. SQLite opens a
# file, which costs nothing worth keeping.
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if _DATABASE_URL.startswith("sqlite") else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that a real worker process can share the test database.
    # One per test process, so that two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "console.User"
# Axes first: it refuses locked-out clients before any password is checked (console/lockout.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Cache: Redis when named (shared by every process), else files under var/ so
# that the web server and the worker still share rate-limit counters.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "console")
CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX

# Sessions written to the database and read through the cache: every signed-in request reads its session,
# and the ORM query cost more CPU than the cache read; the database copy outlives a cache flush.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Internationalisation: English and Simplified Chinese.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["console.formats"]  # Chinese numbers grouped by thousands, as the charts group them
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Static files: hashed, immutable names served by WhiteNoise.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR") or None
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Packages and qualification documents: never under MEDIA_ROOT (served publicly in DEBUG), only
# through the authorised download views (programs/packages.py); on S3, presigned URLs this short-lived.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(MEDIA_ROOT.resolve()):
    raise ConfigError("PRIVATE_MEDIA_ROOT must not be inside MEDIA_ROOT, which is served publicly")
PRIVATE_FILE_URL_SECONDS = env_int("PRIVATE_FILE_URL_SECONDS", 60)


def s3_storage(bucket: str) -> dict:
    """django-storages on an S3-compatible service; private objects, served through presigned URLs."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            # Presigned URLs signed with SigV4: SigV2 is refused by newer AWS regions and most S3 services.
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }


def s3_private_storage(bucket: str) -> dict:
    """Packages and qualification documents: their own prefix, presigned URLs that expire soon."""
    storage = s3_storage(bucket)
    storage["OPTIONS"].update(location="private", querystring_expire=PRIVATE_FILE_URL_SECONDS)
    return storage


AWS_STORAGE_BUCKET_NAME = env_str("S3_BUCKET")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = s3_storage(AWS_STORAGE_BUCKET_NAME)
    _private_storage = s3_private_storage(AWS_STORAGE_BUCKET_NAME)
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _private_storage = {"BACKEND": "programs.packages.PrivateFileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: printed to the console in development.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "console@example.com")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# Webhooks: plain http to 127.0.0.1 and deliveries to internal addresses (the SSRF guard off) only where
# asked for; development allows them so that a receiver on the laptop works.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)

# Security. In production every cookie is secure and HTTPS is enforced.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# How many proxies stand in front of the web process (a load balancer, nginx): each must append the address
# it received from to X-Forwarded-For and set X-Forwarded-Proto. The client's address is then read from
# X-Forwarded-For (console.middleware.ClientAddressMiddleware), so that limits and lock-outs count clients,
# not the proxy. 0 (the default): the socket's address, as with gunicorn or runconsole reached directly.
PROXIES_IN_FRONT = env_int("PROXIES_IN_FRONT", 0)
if PROXIES_IN_FRONT < 0:
    raise ConfigError(f"PROXIES_IN_FRONT must be 0 or more, got {PROXIES_IN_FRONT}")
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and scrapers reach the web process directly, over plain HTTP, and follow no redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^metrics/$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _public_file_origins() -> list[str]:
    """Where browsers load public files (program logos) from when they are on S3, for the CSP's img-src.

    `S3_PUBLIC_ORIGINS` when set (a CDN in front, a custom domain); otherwise the endpoint's origin, path-style
    and virtual-hosted, or AWS's bucket addresses.
    """
    explicit = env_list("S3_PUBLIC_ORIGINS")
    if explicit or not AWS_STORAGE_BUCKET_NAME:
        return explicit
    bucket, endpoint = AWS_STORAGE_BUCKET_NAME, env_str("S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://{bucket}.{parts.netloc}"]
    region = env_str("S3_REGION")
    return [f"https://{bucket}.s3.amazonaws.com", *([f"https://{bucket}.s3.{region}.amazonaws.com"] if region else [])]


_IMAGE_SOURCES = " ".join(["'self'", "data:", "blob:", *_public_file_origins()])
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; img-src {_IMAGE_SOURCES}; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

# Lock-out of repeated failed sign-ins (django-axes; console/lockout.py): on the portal, the admin site and
# API keys. An account is locked after LOGIN_FAILURE_LIMIT failures from anywhere, an address after
# LOGIN_FAILURE_LIMIT x LOGIN_ADDRESS_FACTOR failures on any accounts or keys; the lock lifts
# LOGIN_LOCKOUT_MINUTES after the last failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_ADDRESS_FACTOR = env_int("LOGIN_ADDRESS_FACTOR", 3)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
AXES_HANDLER = "console.lockout.ConsoleAxesHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = "console.lockout.lockout_parameters"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "console.lockout.attempted_username"
AXES_LOCKOUT_CALLABLE = "console.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "console.lockout.attempt_address"
AXES_VERBOSE = False
# Rate limits on other doors: (requests, window in seconds), per client address and per email address.
SIGN_UP_RATE_LIMIT = (env_int("SIGN_UP_PER_ADDRESS_PER_HOUR", 10), 3600)
PASSWORD_RESET_RATE_LIMIT = (env_int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", 3), 3600)
PASSWORD_RESET_ADDRESS_RATE_LIMIT = (env_int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 20), 3600)
VERIFICATION_EMAIL_RATE_LIMIT = (env_int("VERIFICATION_EMAILS_PER_HOUR", 3), 3600)
INVITATION_RATE_LIMIT = (env_int("INVITATIONS_PER_ORGANISATION_PER_HOUR", 30), 3600)
EMAIL_VERIFICATION_MAX_AGE_DAYS = env_int("EMAIL_VERIFICATION_MAX_AGE_DAYS", 3)
# Requests per API key (DRF throttle, 429 with Retry-After).
API_KEY_RATE = env_str("API_KEY_RATE", "600/minute")
# Two-factor sign-in (django-otp): required for platform staff, offered to everyone.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Mini-program console")
OTP_RECOVERY_CODES = 10
INVITATION_MAX_AGE_DAYS = 7

# Packages and scanning.
PACKAGE_UPLOAD_MAX_BYTES = env_int("PACKAGE_UPLOAD_MAX_BYTES", 40 * 1024 * 1024)
PACKAGE_UPLOADS_PER_HOUR = env_int("PACKAGE_UPLOADS_PER_HOUR", 60)
SCAN_TIME_LIMIT_SECONDS = env_int("SCAN_TIME_LIMIT_SECONDS", 120)
SCAN_MAX_ATTEMPTS = env_int("SCAN_MAX_ATTEMPTS", 3)
# The code viewer: bytes read from one package member, and how long rendered pages stay cached.
CODE_VIEWER_MAX_BYTES = env_int("CODE_VIEWER_MAX_BYTES", 4 * 1024 * 1024)
CODE_VIEWER_CACHE_SECONDS = env_int("CODE_VIEWER_CACHE_SECONDS", 7 * 24 * 3600)
# Review and release rules (SPEC §3).
WITHDRAWALS_PER_DAY = env_int("WITHDRAWALS_PER_DAY", 5)
WITHDRAWALS_PER_MONTH = env_int("WITHDRAWALS_PER_MONTH", 10)
EXPEDITED_REVIEWS_PER_MONTH = env_int("EXPEDITED_REVIEWS_PER_MONTH", 3)
REVIEW_WORKING_DAYS = env_int("REVIEW_WORKING_DAYS", 3)
EXPEDITED_REVIEW_HOURS = env_int("EXPEDITED_REVIEW_HOURS", 12)
DEVELOPMENT_VERSIONS_KEPT = env_int("DEVELOPMENT_VERSIONS_KEPT", 20)
ROLLBACK_DEPTH = env_int("ROLLBACK_DEPTH", 5)
# Reviews (SPEC §5): a claim is a lock that lapses unless the review page keeps refreshing it.
REVIEW_CLAIM_MINUTES = env_int("REVIEW_CLAIM_MINUTES", 15)
REVIEW_MAX_CLAIMS = env_int("REVIEW_MAX_CLAIMS", 3)
REVIEW_HEARTBEAT_SECONDS = env_int("REVIEW_HEARTBEAT_SECONDS", 60)
# The open review page stops renewing its claim after this long without a key, click or scroll: a reviewer
# gone to lunch with the tab open held the version for everyone else.
REVIEW_CLAIM_IDLE_MINUTES = env_int("REVIEW_CLAIM_IDLE_MINUTES", 30)
REVIEW_QUEUE_PAGE_SIZE = env_int("REVIEW_QUEUE_PAGE_SIZE", 50)
AUTO_APPROVAL_BATCH = env_int("AUTO_APPROVAL_BATCH", 200)
# Distribution (SPEC §6): the expiry notice and the renewal window open this many days before a grant ends.
DISTRIBUTION_EXPIRY_NOTICE_DAYS = env_int("DISTRIBUTION_EXPIRY_NOTICE_DAYS", 7)
DISTRIBUTION_QUEUE_PAGE_SIZE = env_int("DISTRIBUTION_QUEUE_PAGE_SIZE", 50)
DISTRIBUTION_EVIDENCE_MAX_BYTES = env_int("DISTRIBUTION_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
DISTRIBUTION_EVIDENCE_MAX_FILES = env_int("DISTRIBUTION_EVIDENCE_MAX_FILES", 5)
# The same message from the same author on one version within this many seconds is stored once.
REVIEW_MESSAGE_DEDUPE_SECONDS = env_int("REVIEW_MESSAGE_DEDUPE_SECONDS", 60)
# Stats (SPEC §7): events up to this late are accepted and land in their own day; raw events are
# kept this long (rollups stay); days are cut in the platform's time zone.
STATS_LATE_EVENT_DAYS = env_int("STATS_LATE_EVENT_DAYS", 7)
STATS_FUTURE_SKEW_SECONDS = env_int("STATS_FUTURE_SKEW_SECONDS", 300)
STATS_MAX_EVENTS_PER_BATCH = env_int("STATS_MAX_EVENTS_PER_BATCH", 1000)
STATS_RAW_RETENTION_DAYS = env_int("STATS_RAW_RETENTION_DAYS", 90)
STATS_TIME_ZONE = env_str("STATS_TIME_ZONE", TIME_ZONE)
# User-set bitmaps each web process keeps between reads (stats.setcache), in bytes.
STATS_SET_CACHE_BYTES = env_int("STATS_SET_CACHE_BYTES", 64 * 1024 * 1024)
# Host user ids are stored only as HMACs under this key (derived from SECRET_KEY when unset).
STATS_USER_HASH_KEY = env_str("STATS_USER_HASH_KEY")
# Seconds the worker pauses between scan stages: 0 in production; tests and demos
# raise it to watch progress or to kill a worker in the middle of a scan.
SCAN_STAGE_DELAY_SECONDS = env_float("SCAN_STAGE_DELAY_SECONDS", 0.0)

# Celery. The embedded default is kombu's file-system transport: a real broker
# and a real worker process, with no server to install. It is driven by the worker's
# event loop (console/broker.py says why: the stock, blocking transport wedges the
# worker when an idle pool child is killed, and polls only once a second).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
TASK_RETRY_WAIT_MAX_SECONDS = 600  # the longest wait between a task's tries (stats.tasks.store_events)


def filesystem_broker_options(folder: Path) -> dict:
    """kombu's file-system transport under `folder` (queue, taken, processed and control sub-folders)."""
    for sub in ("queue", "taken", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "taken_folder": str(folder / "taken"),  # messages a worker holds until it acknowledges them
        "store_processed": False,
        # kombu otherwise writes its broadcast exchanges into the working directory.
        "control_folder": str(folder / "control"),
    }


if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT = "console.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "broker")
else:
    # A task whose worker dies unacknowledged comes back after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900)}
    if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= TASK_RETRY_WAIT_MAX_SECONDS:
        # Redis hands out again a retry still waiting past the timeout: two copies, each retrying on its own.
        raise ConfigError(f"CELERY_VISIBILITY_TIMEOUT must be more than {TASK_RETRY_WAIT_MAX_SECONDS} seconds, the "
                          f"longest a task waits between tries; a shorter one runs waiting retries twice")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Prefork, replacing a killed pool child within a second (console/workerpool.py).
CELERY_WORKER_POOL = "console.workerpool:TaskPool"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Routes and the beat schedule live here, in one place.
# The stuck-scan sweeper has its own queue and its own small worker (`--queues=maintenance
# --pool=solo`, started by runconsole): it must keep running when the scan worker does not.
CELERY_TASK_ROUTES: dict = {
    "programs.tasks.scan_version": {"queue": "scans"},
    "programs.tasks.requeue_stuck_scans": {"queue": "maintenance"},
}
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BEAT_SCHEDULE: dict = {
    "delete-stale-invitations": {"task": "console.tasks.delete_stale_invitations", "schedule": 24 * 3600.0},
    # A sweep nobody took within its minute is superseded by the next one, not piled up.
    "requeue-stuck-scans": {"task": "programs.tasks.requeue_stuck_scans", "schedule": 60.0,
                            "options": {"expires": 55}},
    "auto-approve-reviews": {"task": "reviews.tasks.auto_approve_waiting", "schedule": 300.0},
    "delete-expired-review-claims": {"task": "reviews.tasks.delete_expired_claims", "schedule": 3600.0},
    "requeue-stranded-webhook-deliveries": {
        "task": "console.tasks.requeue_stranded_webhook_deliveries", "schedule": 300.0,
    },
    "prune-webhook-deliveries": {"task": "console.tasks.prune_webhook_deliveries", "schedule": 24 * 3600.0},
    "expire-whitelist-grants": {"task": "distribution.tasks.expire_grants", "schedule": 60.0},
    "notify-expiring-whitelist-grants": {"task": "distribution.tasks.notify_expiring_grants", "schedule": 3600.0},
    "stats-prune-raw-events": {"task": "stats.tasks.prune_raw_events", "schedule": 6 * 3600.0},
    # Each ingest nudges the drain; this one drains batches whose nudge was lost (a killed worker, the broker down).
    "stats-drain-event-batches": {"task": "stats.tasks.drain_event_batches", "schedule": 10.0,
                                  "options": {"expires": 9}},
    # Near real time: the gate's answers reach the operators' dashboard within half a minute.
    "stats-rollup-gate-answers": {"task": "stats.tasks.rollup_gate_answers", "schedule": 20.0},
    "prune-idempotent-requests": {"task": "console.tasks.prune_idempotent_requests", "schedule": 3600.0},
    "heartbeat": {"task": "console.tasks.heartbeat", "schedule": 60.0},  # /healthz/ wants one within 3 minutes
}

# Operations: Prometheus metrics (console/metrics.py). Processes on one host share the directory, which
# runconsole empties at start; /metrics/ wants `Authorization: Bearer $METRICS_TOKEN` (without a token only
# DEBUG serves it, to 127.0.0.1).
PROMETHEUS_MULTIPROC_DIR = Path(env_str("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus")))
METRICS_TOKEN = env_str("METRICS_TOKEN")

# REST API. A JSON body nesting lists and objects deeper than this is refused with 400.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32)
# How long an API write's Idempotency-Key and its answer are kept (console/idempotency.py).
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)
# A multipart body with a key is read to a temporary file before its request runs; a larger one runs without the key.
IDEMPOTENCY_MAX_BODY_BYTES = env_int("IDEMPOTENCY_MAX_BODY_BYTES", 64 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "console.authentication.ApiKeyAuthentication",
        "console.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "console.openapi.ConsoleAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "console.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "console.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "console.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["console.authentication.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_KEY_RATE},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mini-program developer console API",
    "DESCRIPTION": (
        "Programs, versions, reviews, distribution and stats. Authenticate with an organisation API key "
        "as `Authorization: Bearer <key>`; errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums", "console.openapi.nullable_refs_have_a_type",
        "console.openapi.strict_inputs_say_so", "console.openapi.blank_alternatives_do_not_overlap",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Host platforms' calls (SPEC §9 "Host calls"): signatures, per-key rate limits and the share gate.
HOST_SIGNATURE_MAX_AGE = env_int("HOST_SIGNATURE_MAX_AGE", 300)  # seconds a signed call stays valid
HOST_CLOCK_SKEW_SECONDS = env_int("HOST_CLOCK_SKEW_SECONDS", 5)  # tolerated for a host clock ahead of ours
HOST_REQUESTS_PER_MINUTE = env_int("HOST_REQUESTS_PER_MINUTE", 6000)  # per key, unless the key says otherwise
# Rate limits, replay nonces, share-gate counters and answers: Redis when named, else a dedicated SQLite file.
# (The tests get a file of their own: console/settings_test.py.)
HOST_STORE_URL = env_str("HOST_STORE_URL") or REDIS_URL or f"sqlite:///{VAR_DIR / 'host-store'}.sqlite3"
GATE_REFRESH_SECONDS = env_float("GATE_REFRESH_SECONDS", 1.0)  # scene, program and grant facts are re-read this often
GATE_ANSWERS_MAX = env_int("GATE_ANSWERS_MAX", 200_000)  # answers kept for the stats before the oldest are dropped
PLACEMENTS_CACHE_SECONDS = env_int("PLACEMENTS_CACHE_SECONDS", 60)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["GateReasonEnum"] = "distribution.gate.GateReason"
# Versions' status is read by two components (the version, the upload's answer): keep the name it was published under.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["VersionOutputStatusEnum"] = "programs.models.Version.Status"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["RoleEnum"] = "console.roles.Role"  # members, invitations: one enum
