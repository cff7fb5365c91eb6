"""What keeping database connections saves a signed-in page over HTTP, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/db_connections.py   # creates and drops x_connbench

Migrates a throwaway database next to the named one, signs a member in (a session row, as a browser
would have), collects static files, then starts gunicorn (1 sync worker, DEBUG off) twice per round:
with DB_CONN_MAX_AGE=0 (a new connection per request, the old default) and with the setting unset
(the default, 60 s for a server database). Each time it asks for the members page REQUESTS times
over a new HTTP connection and prints the p50 after a warm-up; rounds alternate the two, and the
ratio compares their medians. SQLite has nothing to measure here: opening it costs no round trip.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 300))
WARM_UP = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SETTINGS = [("DB_CONN_MAX_AGE=0 (a connection per request)", {"DB_CONN_MAX_AGE": "0"}),
            ("default (connections kept 60 s)", {})]


def seed() -> dict:
    """Run in a child with the bench environment: a member, an organisation and a signed-in session."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from console.models import Membership, Organisation, User
    from console.roles import Role

    user = User.objects.create_user(email="connections@example.com", password=None)
    org = Organisation.objects.create(slug="connections", name="Connections")
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash()})
    session.create()
    return {"cookie": f"sessionid={session.session_key}", "path": f"/orgs/{org.slug}/members/"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def page_p50(env: dict, page: dict) -> float:
    """Median ms of the page over a new HTTP connection each time, as separate browsers would ask."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "console.wsgi", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        _wait_until_up(port, server)
        times = []
        for _ in range(WARM_UP + REQUESTS):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            conn.request("GET", page["path"], headers={"Cookie": page["cookie"], "Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            times.append(time.perf_counter() - started)
            conn.close()
            if response.status != 200:
                raise RuntimeError(f"the members page answered {response.status}")
        return statistics.median(times[WARM_UP:]) * 1000
    finally:
        server.terminate()
        server.wait(timeout=30)


def _maintenance_url(url: str) -> str:
    """The same server's `postgres` database: the named one need not exist."""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


def _database(url: str) -> tuple[str, str]:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_connbench"
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("Set DATABASE_URL=postgres://… : on SQLite a connection is a file open, with nothing to keep.")
        return 2
    url, name = _database(database_url)
    env = {k: v for k, v in os.environ.items() if k not in ("DB_CONN_MAX_AGE", "CELERY_BROKER_URL")}
    env.update({"DATABASE_URL": url, "VAR_DIR": tempfile.mkdtemp(prefix="bench-connections-"), "DEBUG": "0",
                "SECRET_KEY": "bench-connections-secret-key-not-for-production-0123456789",
                "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "console.settings", "PYTHONPATH": str(ROOT)})
    try:
        for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *command], env=env, cwd=ROOT, check=True)
        page = json.loads(subprocess.run([sys.executable, __file__, "--seed"], env=env, cwd=ROOT, check=True,
                                         capture_output=True, text=True).stdout)
        medians: dict[str, list[float]] = {label: [] for label, _ in SETTINGS}
        for _ in range(ROUNDS):
            for label, extra in SETTINGS:
                medians[label].append(page_p50({**env, **extra}, page))
                print(f"  {label:<46} members page p50 {medians[label][-1]:6.1f} ms")
        per_request, kept = (statistics.median(medians[label]) for label, _ in SETTINGS)
        print(f"\nmedian of {ROUNDS} rounds: {per_request:.1f} ms with a connection per request, {kept:.1f} ms "
              f"with connections kept ({per_request - kept:.1f} ms, {per_request / kept:.2f}x)")
        return 0
    finally:
        import psycopg

        with psycopg.connect(_maintenance_url(database_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        print(json.dumps(seed()))
        sys.exit(0)
    sys.exit(main())
