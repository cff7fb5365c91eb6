"""Benchmark the stats ingest as production runs it: gunicorn, a Celery worker, PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1/x REDIS_URL=redis://127.0.0.1:6379/7 python bench/ingest_live.py

`bench/ingest.py` runs the request and the drain one after the other in one process; here they run as
they do in production, at the same time in their own processes: signed batches of 1,000 events are
POSTed to gunicorn, 8 at a time, and the Celery worker drains them (several batches per transaction when
they queue up). The clock runs from the first POST until the last event is stored. Then a raw COPY of the
very rows stored, in the same run, gives the baseline of the issue's target (≥ 50 % of a raw COPY).

Needs PostgreSQL and Redis (the broker and the host runtime store get Redis databases of their own, the
number after REDIS_URL's); creates and drops test_<name> like the test runner. BENCH_BATCHES (100) sets
the batches sent, BENCH_WEB_WORKERS (2) gunicorn's processes.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-ingest-live-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

BATCHES = int(os.environ.get("BENCH_BATCHES", 100))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", 2))
SENDERS = 8
APPID = "2099000000000002"
PATH = "/api/v1/hosts/weibo/events/"


def redis_database(offset: int) -> str:
    """REDIS_URL's server with the database `offset` after REDIS_URL's own (the broker's and the store's)."""
    base, _, number = settings.REDIS_URL.rpartition("/")
    return f"{base}/{(int(number or 0) + offset) % 16}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def batch_body(prefix: str, number: int) -> bytes:
    """1,000 visits of 97 users, a minute old, each with its own id."""
    moment = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    events = [{"id": f"{prefix}{number * 1000 + n}", "type": "visit", "appid": APPID, "scene": "weibo.private_message",
               "user": f"u{n % 97}", "time": moment, "page_views": 1 + n % 5, "stay_seconds": n % 300}
              for n in range(1000)]
    return json.dumps({"events": events}).encode()


def post(url: str, key: str, secret: str, body: bytes) -> int:
    from hosts import signing

    headers = signing.signed_headers(key, secret, int(time.time()), "POST", PATH, body)
    request = urllib.request.Request(url + PATH, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    assert response.status == 202 and answer["accepted"] == 1000, answer
    return answer["accepted"]


def stored(program_id: int) -> int:
    """Visits stored for the program, read from its daily counters: they are written in the transaction that
    writes the raw rows, and reading them costs the same however many rows are stored. (Counting the raw rows
    every 50 ms took a growing share of the database's core from the drain it was waiting for.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(visits), 0) FROM stats_dailystats WHERE program_id = %s", [program_id])
        return cursor.fetchone()[0]


def raw_rows(prefix: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM stats_rawevent WHERE event_key LIKE %s", [f"weibo:{prefix}%"])
        return cursor.fetchone()[0]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for_web(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # answering at all is up
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not come up")


def main() -> int:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("bench/ingest_live.py skipped: it measures production's shape; set DATABASE_URL (PostgreSQL) and REDIS_URL.")
        return 0
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    processes: list[subprocess.Popen] = []
    try:
        from console.models import Organisation
        from hosts.models import Host
        from hosts.services import credential_create
        from programs.models import MiniProgram, Version

        org = Organisation.objects.create(name="Bench", slug="bench-live")
        program = MiniProgram.objects.create(organisation=org, appid=APPID, name="Bench live")
        Version.objects.create(program=program, version="1.0.0", sort_key=[1, 0, 0], status=Version.Status.RELEASED,
                               package="x.zip", package_sha256="0" * 64, package_size=1)
        credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="bench")
        credential.requests_per_minute = 10**6
        credential.save()

        # Production settings (DEBUG off: no query log), on the test database, over plain HTTP on 127.0.0.1; this
        # process's SECRET_KEY, which the host secrets are sealed with.
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", "DEBUG": "0",
               "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
               "DATABASE_URL": urlsplit(os.environ["DATABASE_URL"])._replace(
                   path="/" + settings.DATABASES["default"]["NAME"]).geturl(),
               "CELERY_BROKER_URL": redis_database(1), "HOST_STORE_URL": redis_database(2)}
        for url in (env["CELERY_BROKER_URL"], env["HOST_STORE_URL"]):
            subprocess.run([sys.executable, "-c", f"import redis; redis.Redis.from_url({url!r}).flushdb()"], check=True)
        port, logs = free_port(), Path(os.environ["VAR_DIR"])
        url = f"http://127.0.0.1:{port}"
        processes.append(start([sys.executable, "-m", "gunicorn", "console.wsgi", "-b", f"127.0.0.1:{port}",
                                "-w", str(WEB_WORKERS), "--threads", "4"], env, logs / "gunicorn.log"))
        processes.append(start([sys.executable, "-m", "celery", "-A", "console", "worker", "--concurrency=2",
                                "--queues=celery", "--loglevel=WARNING"], env, logs / "worker.log"))
        wait_for_web(url)
        time.sleep(3)  # the worker connects to its broker

        prefix = f"live{time.time_ns():x}-"
        bodies = [batch_body(prefix, n) for n in range(BATCHES)]
        total = 1000 * BATCHES
        print(f"postgresql + redis: {total:,} events in {BATCHES} batches of 1,000, {SENDERS} at a time, to gunicorn "
              f"({WEB_WORKERS} processes) and one Celery worker (2 processes), all on this machine")
        started = time.perf_counter()
        with ThreadPoolExecutor(SENDERS) as pool:
            accepted = sum(pool.map(lambda body: post(url, credential.key_id, secret, body), bodies))
        answered = time.perf_counter() - started
        while stored(program.pk) < total:  # every event is a visit
            if time.perf_counter() - started > 600:
                raise SystemExit(f"only {stored(program.pk):,} of {total:,} stored after 10 minutes")
            time.sleep(0.05)
        ours = time.perf_counter() - started
        assert raw_rows(prefix) == total, (raw_rows(prefix), total)
        copy = copy_rate(prefix)
        print(f"all {accepted:,} accepted in {answered:.1f} s; all stored {ours:.1f} s after the first POST")
        print(f"ours, end to end (signed POSTs, validation, the worker's drain with COPY and every rollup): "
              f"{total / ours:,.0f} events/s")
        print(f"raw COPY of the same rows (no validation, no rollups):                                 {copy:,.0f} events/s")
        print(f"ours ÷ raw COPY: {total / ours / copy:.0%} (target ≥ 50 %)")
        return 0
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def copy_rate(prefix: str) -> float:
    """Re-insert the stored raw rows, as they are, into the emptied table: the time of the COPY alone."""
    from stats import storage

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(storage.RAW_COLUMNS)} FROM stats_rawevent WHERE event_key LIKE %s",
                       [f"weibo:{prefix}%"])
        rows = [tuple(r) for r in cursor.fetchall()]
        cursor.execute("DELETE FROM stats_rawevent WHERE event_key LIKE %s", [f"weibo:{prefix}%"])
    started = time.perf_counter()
    storage.write_raw_events(rows)
    return len(rows) / (time.perf_counter() - started)


if __name__ == "__main__":
    sys.exit(main())
