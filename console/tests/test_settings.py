"""Settings from the environment: production mode is `check --deploy` clean and refuses to start half-configured."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from console.env import ConfigError, env_bool, env_int, env_list

REPO = Path(__file__).resolve().parents[2]
# Only these pass from the test run into the subprocess: settings are exactly what each test gives.
_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")


def _manage(tmp_path, *args, **env):
    base = {k: os.environ[k] for k in _KEEP if k in os.environ}
    base.update(VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="console.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=base, cwd=REPO, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "console.example.com"}


def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50), STATS_USER_HASH_KEY=secrets.token_urlsafe(32), **PRODUCTION,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_rotating_secret_key_keeps_host_users_once_their_hash_key_is_pinned(tmp_path):
    """Without STATS_USER_HASH_KEY a rotation hashed every host user anew (a production probe counted one user as
    two); check --deploy says so, and the command prints the key in use, to pin before rotating."""
    old_key, new_key = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    warned = _manage(tmp_path, "check", "--deploy", SECRET_KEY=old_key, **PRODUCTION)
    pinned = _manage(tmp_path, "stats_user_hash_key", SECRET_KEY=old_key, **PRODUCTION).stdout.strip()
    name, _, value = pinned.partition("=")
    code = "from stats.ingest import user_hash_key; print(user_hash_key().hex())"
    before = _manage(tmp_path, "shell", "-v", "0", "-c", code, SECRET_KEY=old_key, **PRODUCTION)
    after = _manage(tmp_path, "shell", "-v", "0", "-c", code, SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=old_key,
                    STATS_USER_HASH_KEY=value, **PRODUCTION)

    assert "console.W003" in warned.stderr and "stats_user_hash_key" in warned.stderr
    assert name == "STATS_USER_HASH_KEY" and value.startswith("base64:")
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout


def test_production_redirects_pages_to_https_but_not_the_probe_and_scrape_urls(tmp_path):
    """A load balancer's health probe and Prometheus reach the web process over plain HTTP and follow no redirect."""
    code = ("from django.middleware.security import SecurityMiddleware; from django.test import RequestFactory; "
            "redirect = SecurityMiddleware(lambda request: None).process_request; "
            "get = RequestFactory(HTTP_HOST='console.example.com').get; "
            "print(*(getattr(redirect(get(p)), 'status_code', 'none') for p in "
            "('/accounts/login/', '/api/v1/me/', '/healthz/', '/metrics/')))")
    result = _manage(tmp_path, "shell", "-v", "0", "-c", code,
                     DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="console.example.com")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["301", "301", "none", "none"]


def test_proxies_in_front_must_be_a_count(tmp_path):
    result = _manage(tmp_path, "check", PROXIES_IN_FRONT="-1")

    assert result.returncode != 0
    assert "PROXIES_IN_FRONT must be 0 or more" in result.stderr


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = _manage(tmp_path, "check", DEBUG="0", ALLOWED_HOSTS="console.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "var" / "dev-secret-key").exists(), "no development key is made in production"


def test_production_without_allowed_hosts_refuses_to_start(tmp_path):
    result = _manage(tmp_path, "check", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


def test_a_bad_boolean_fails_loudly_naming_the_variable(tmp_path):
    result = _manage(tmp_path, "check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
    assert "'maybe'" in result.stderr


def test_a_visibility_timeout_shorter_than_a_retry_wait_refuses_to_start(tmp_path):
    """Redis handed a retry waiting 39 s out again at 30 s: two copies of the batch, each retrying on its own."""
    result = _manage(tmp_path, "check", REDIS_URL="redis://127.0.0.1:6379/9", CELERY_VISIBILITY_TIMEOUT="30")
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must be more than 600 seconds" in result.stderr


# ------------------------------------------------------------------ typed helpers (in process)


@pytest.mark.parametrize("raw, value", [("1", True), ("TRUE", True), (" yes ", True), ("on", True),
                                        ("0", False), ("false", False), ("No", False), ("off", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("SOME_FLAG", raw)

    assert env_bool("SOME_FLAG", not value) is value


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("SOME_FLAG", raising=False)

    assert env_bool("SOME_FLAG", True) is True
    assert env_bool("SOME_FLAG", False) is False


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")

    with pytest.raises(ConfigError, match="SOME_FLAG must be a boolean"):
        env_bool("SOME_FLAG")


def test_env_int_refuses_a_non_number_naming_it(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")

    with pytest.raises(ConfigError, match="SOME_NUMBER must be an integer, got 'ten'"):
        env_int("SOME_NUMBER", 1)


def test_env_int_reads_a_number_and_defaults_when_blank(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "42")
    assert env_int("SOME_NUMBER", 1) == 42
    monkeypatch.setenv("SOME_NUMBER", " ")
    assert env_int("SOME_NUMBER", 7) == 7


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("SOME_LIST", " a.example , b.example,, ")

    assert env_list("SOME_LIST") == ["a.example", "b.example"]


def test_private_files_inside_the_public_media_folder_refuse_to_start(tmp_path):
    media = tmp_path / "media"
    result = _manage(tmp_path, "check", MEDIA_ROOT=str(media), PRIVATE_MEDIA_ROOT=str(media / "private"))

    assert result.returncode != 0
    assert "PRIVATE_MEDIA_ROOT must not be inside MEDIA_ROOT" in result.stderr


def test_with_s3_private_files_get_their_own_prefix_and_short_lived_urls(tmp_path):
    code = ("from django.conf import settings; p = settings.STORAGES['private']; "
            "print(p['BACKEND'], p['OPTIONS']['location'], p['OPTIONS']['querystring_auth'], "
            "p['OPTIONS']['querystring_expire'])")
    result = _manage(tmp_path, "shell", "-v", "0", "-c", code, S3_BUCKET="console", PRIVATE_FILE_URL_SECONDS="45")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["storages.backends.s3.S3Storage", "private", "True", "45"]


@pytest.mark.parametrize(("env", "origins"), [
    ({}, []),
    ({"S3_BUCKET": "console", "S3_ENDPOINT_URL": "https://minio.example.com:9000"},
     ["https://minio.example.com:9000", "https://console.minio.example.com:9000"]),
    ({"S3_BUCKET": "console", "S3_REGION": "eu-west-1"},
     ["https://console.s3.amazonaws.com", "https://console.s3.eu-west-1.amazonaws.com"]),
    ({"S3_BUCKET": "console", "S3_PUBLIC_ORIGINS": "https://cdn.example.com"}, ["https://cdn.example.com"]),
])
def test_logos_on_s3_are_images_the_content_security_policy_allows(tmp_path, env, origins):
    """img-src allowed only the console itself: every logo on S3 was blocked and showed broken."""
    code = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY)"
    result = _manage(tmp_path, "shell", "-v", "0", "-c", code, **env)

    assert result.returncode == 0, result.stderr
    image_sources = next(d for d in result.stdout.split(";") if d.strip().startswith("img-src")).split()[1:]
    assert image_sources == ["'self'", "data:", "blob:", *origins]


# ------------------------------------------------------------------ production never asks whether tests run


def test_production_settings_in_a_process_that_imported_pytest_keep_every_guard(tmp_path):
    """The attack: `"pytest" in sys.modules` once switched production into test mode (SSRF guard off, eager
    Celery, MD5 hashing). A process that merely imported pytest must get production's settings unchanged."""
    base = {k: os.environ[k] for k in _KEEP if k in os.environ}
    base.update(VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="console.settings", DEBUG="0",
                SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="console.example.com")
    script = ("import pytest, django; django.setup(); from django.conf import settings as s; "
              "print(s.WEBHOOK_ALLOW_PRIVATE_TARGETS, s.CELERY_TASK_ALWAYS_EAGER, s.PASSWORD_HASHERS[0], "
              "hasattr(s, 'TESTING'), s.STORAGES['staticfiles']['BACKEND'])")
    result = subprocess.run([sys.executable, "-c", script], env=base, cwd=REPO, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    guard_off, eager, hasher, testing, static = result.stdout.split()
    assert (guard_off, eager, testing) == ("False", "False", "False")
    assert hasher == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert static == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_production_source_never_asks_whether_pytest_runs():
    offenders = [str(p.relative_to(REPO)) for app in ("console", "programs", "reviews", "hosts", "distribution", "bench")
                 for p in (REPO / app).rglob("*.py")
                 if "tests" not in p.parts and p.name != "settings_test.py"
                 and ("sys.modules" in p.read_text() or "TESTING" in p.read_text())]

    assert offenders == []


def test_the_suite_runs_on_the_test_settings_module(settings):
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "console.settings_test"
    assert settings.WEBHOOK_ALLOW_PRIVATE_TARGETS is False, "the SSRF guard is on unless a test opts out"


def _database_setting(tmp_path, **env) -> str:
    code = ("from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])")
    result = _manage(tmp_path, "shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # (after the shell's note on its automatic imports)


def test_a_server_database_keeps_connections_and_sqlite_does_not(tmp_path):
    # A new PostgreSQL connection per request cost a signed-in page about a third of its time
    # (bench/db_connections.py). A kept connection is checked before a request reuses it, so a
    # restarted database server costs a reconnect, not an error page.
    postgres = "postgres://postgres@127.0.0.1:5432/unused"
    assert _database_setting(tmp_path, DATABASE_URL=postgres) == "60 True"
    assert _database_setting(tmp_path, DATABASE_URL=postgres, DB_CONN_MAX_AGE="0") == "0 True"
    assert _database_setting(tmp_path) == "0 True"


@pytest.mark.parametrize(("redis_url", "broker_url", "warned"), [
    ("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/14", True),
    ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0", True),  # no database is database 0
    ("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/13", False),
    ("redis://127.0.0.1:6379/1", "redis://other:6379/1", False),
    ("", "filesystem://", False),
    ("redis://127.0.0.1:6379/1", "amqp://guest:guest@127.0.0.1:5672//", False),
])
def test_a_broker_in_the_caches_redis_database_is_warned_about(settings, redis_url, broker_url, warned):
    """A FLUSHDB of the cache would drop the broker's queued tasks (ingested event batches among them)."""
    from console.checks import broker_apart_from_cache

    settings.REDIS_URL, settings.CELERY_BROKER_URL = redis_url, broker_url
    assert [w.id for w in broker_apart_from_cache(None)] == (["console.W001"] if warned else [])


@pytest.mark.parametrize(("redis_url", "store_url", "warned"), [
    ("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/14", True),  # HOST_STORE_URL's default: REDIS_URL
    ("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/12", False),
    ("", "sqlite:////tmp/host-store.sqlite3", False),
])
def test_a_host_store_in_the_caches_redis_database_is_warned_about(settings, redis_url, store_url, warned):
    """A fault walk's FLUSHDB of the cache reset the share gate's caps (2 shares allowed within the hour), let a
    signed call be replayed and lost the gate's answers; now it would also drop event batches not drained yet."""
    from console.checks import host_store_apart_from_cache

    settings.REDIS_URL, settings.HOST_STORE_URL = redis_url, store_url
    assert [w.id for w in host_store_apart_from_cache(None)] == (["console.W002"] if warned else [])
