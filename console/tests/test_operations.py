"""Operations: /healthz/ checks every service for real, and /metrics/ serves Prometheus to the scraper only.

Each test names the fault it reproduces: a worker that is down, a cache or broker that cannot be
reached, storage that cannot be written; and the attack of reading the metrics from outside.
"""

import hashlib

import pytest
from celery import current_app
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from console import health
from console.celery import app as celery_app
from console.tasks import heartbeat
from programs.demo import DOMAINS as SAMPLE_DOMAINS
from programs.models import Category, Version
from programs.samples import build_package
from programs.services import program_create, program_set_privacy_declaration, version_upload
from programs.tests.worker import WorkerProcess, eager_again, real_broker, wait_for

NOWHERE = "redis://127.0.0.1:9/0"  # the discard port: nothing listens


def _checks(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return {name.split("(")[0]: state for name, state in response.json().items()}


# ---------------------------------------------------------------- /healthz/


def test_healthz_is_503_json_when_no_worker_runs(client, db):
    """The fault: every worker is down. The old page said "ok" without checking anything."""
    response = client.get(reverse("healthz"), HTTP_ACCEPT="text/html")

    assert response.status_code == 503
    checks = _checks(response)
    assert set(checks) == {"Database", "Cache", "Storage", "Broker", "Workers", "Heartbeat"}
    assert (checks["Database"], checks["Cache"], checks["Storage"], checks["Broker"]) == ("OK",) * 4
    assert checks["Workers"] == "Unavailable: No worker answers."
    assert checks["Heartbeat"].startswith("Unavailable: No heartbeat")


def test_a_stale_heartbeat_fails_the_check(client, db, monkeypatch):
    """The fault: beat (or every worker) stopped some minutes ago."""
    cache.set(health.HEARTBEAT_KEY, 1_000.0)

    checks = _checks(client.get(reverse("healthz")))

    assert checks["Heartbeat"].startswith("Unavailable: The last heartbeat is")


def test_healthz_reports_a_cache_that_cannot_be_reached(client, db):
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": NOWHERE}}
    with override_settings(CACHES=unreachable):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    checks = _checks(response)
    assert checks["Cache"] != "OK" and checks["Database"] == "OK"


def test_healthz_reports_storage_that_cannot_be_written(client, db, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert _checks(response)["Storage"] != "OK"


def test_healthz_reports_a_broker_that_cannot_be_reached(client, db, monkeypatch):
    url, transport = celery_app.conf.broker_url, celery_app.conf.broker_transport
    monkeypatch.setenv("CELERY_BROKER_URL", NOWHERE)  # Celery reads the environment before its settings
    celery_app.conf.broker_url, celery_app.conf.broker_transport = NOWHERE, None
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport = url, transport

    assert response.status_code == 503
    assert _checks(response)["Broker"] == "Unavailable: The broker cannot be reached."


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_healthz_is_200_with_a_worker_on_every_queue_and_a_fresh_heartbeat(client, settings, tmp_path):
    env = {}
    if not settings.REDIS_URL:  # share the cache with the worker process, as Redis does in production
        env["TEST_CACHE_DIR"] = str(tmp_path / "cache")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": env["TEST_CACHE_DIR"], "KEY_PREFIX": settings.CACHE_KEY_PREFIX}}
    real_broker()
    worker = WorkerProcess(queues="celery,scans,maintenance", **env).start()
    try:
        heartbeat.delay()  # what beat sends every minute
        wait_for(lambda: cache.get(health.HEARTBEAT_KEY), timeout=30)
        response = client.get(reverse("healthz"))
    finally:
        worker.stop()
        eager_again()

    assert response.status_code == 200, response.content
    assert set(_checks(response).values()) == {"OK"}


# ---------------------------------------------------------------- /metrics/


def test_metrics_are_not_served_to_the_internet_in_production(client, db, settings):
    """The attack: reading queue sizes and failure counts from outside. Production without a token: 404."""
    settings.DEBUG, settings.METRICS_TOKEN = False, ""

    assert client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get(reverse("metrics"), REMOTE_ADDR="203.0.113.9").status_code == 404


def test_metrics_want_the_scrapers_bearer_token(client, db, settings):
    settings.DEBUG, settings.METRICS_TOKEN = False, "s3cret-scrape-token"

    assert client.get(reverse("metrics")).status_code == 404
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    # (The scan latency and task failures appear once observed: see the tests below.)
    for name in ("console_queue_depth", "console_versions_waiting"):
        assert f"# TYPE {name} gauge" in body


def test_development_serves_metrics_to_localhost_only(client, db, settings):
    settings.DEBUG, settings.METRICS_TOKEN = True, ""

    assert client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get(reverse("metrics"), REMOTE_ADDR="192.0.2.7").status_code == 404


def _scrape(client, settings) -> str:
    settings.METRICS_TOKEN = "t"
    return client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer t").content.decode()


def _sample(body: str, line_start: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(line_start)]
    return values[0] if values else 0.0


def test_queue_depth_counts_the_messages_no_worker_took(client, db, settings):
    """The fault: workers fall behind; the depth of each queue shows it."""
    real_broker()
    try:
        for _ in range(3):
            heartbeat.delay()
        body = _scrape(client, settings)
    finally:
        real_broker()  # purge what was sent
        eager_again()

    assert _sample(body, 'console_queue_depth{queue="celery"}') == 3.0
    assert _sample(body, 'console_queue_depth{queue="scans"}') == 0.0


def test_a_finished_scan_is_observed_in_the_latency_histogram(client, org, owner, settings,
                                                              django_capture_on_commit_callbacks):
    before = _sample(_scrape(client, settings), 'console_scan_latency_seconds_count{outcome="ready"}')
    program = program_create(org=org, actor=owner, name="Metrics", categories=[Category.objects.get(code="tools")],
                             domains=SAMPLE_DOMAINS)
    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Nearby stores"})
    data = build_package(dialect="alipay")
    package = SimpleUploadedFile("p.zip", data, content_type="application/zip")
    package.sha256 = hashlib.sha256(data).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        version = version_upload(program=program, actor=owner, version="1.0.0", description="", package=package,
                                 method=Version.UploadMethod.API).version

    version.refresh_from_db()
    assert version.status == Version.Status.READY
    body = _scrape(client, settings)
    # At least this scan: the figure sums every process writing to the metrics directory, and a real worker an
    # earlier test of this test process started may finish its own scan meanwhile (CI saw before + 2 once).
    assert _sample(body, 'console_scan_latency_seconds_count{outcome="ready"}') >= before + 1
    assert _sample(body, 'console_versions_waiting{status="uploaded"}') == 0.0


def test_a_failing_task_is_counted(client, db, settings):
    """The fault: a task raises (here a bad argument); the counter of failures per task shows it."""
    name = "console.tasks.delete_stale_invitations"
    before = _sample(_scrape(client, settings), f'console_task_failures_total{{task="{name}"}}')

    result = current_app.tasks[name].apply(kwargs={"days": "not a number"}, throw=False)  # as a worker runs it

    assert result.failed() and isinstance(result.result, TypeError)

    after = _sample(_scrape(client, settings), f'console_task_failures_total{{task="{name}"}}')
    assert after == before + 1


def test_favicon_ico_leads_to_the_logo(client, db):
    """Browsers ask for /favicon.ico on a CSV or a JSON answer; it was a 404 in every log."""
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain[0][1] == 301
    assert response.redirect_chain[0][0].endswith(".svg")
