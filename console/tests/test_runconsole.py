"""runconsole: the processes it starts build links with the port the web server binds, not a fixed 8000."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.management.commands.runconsole import child_environment

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("addr, url", [("127.0.0.1", "http://127.0.0.1:8123"), ("0.0.0.0", "http://127.0.0.1:8123"),
                                       ("::1", "http://[::1]:8123"), ("console.lan", "http://console.lan:8123")])
def test_site_url_follows_the_bound_address_and_port(addr, url):
    assert child_environment(addr, 8123, environ={})["SITE_URL"] == url


def test_an_explicit_site_url_wins():
    env = child_environment("127.0.0.1", 8123, environ={"SITE_URL": "https://console.example.com"})

    assert env["SITE_URL"] == "https://console.example.com"


def test_email_links_of_a_console_on_port_8123_point_at_8123(tmp_path):
    """The fault: `PORT=8123 make run` sent emails whose links went to port 8000, where nothing listened."""
    env = child_environment("127.0.0.1", 8123, environ={k: v for k, v in os.environ.items() if k != "SITE_URL"})
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="console.settings")
    script = "from console.notify.services import absolute_url; print(absolute_url('/notifications/'))"
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123/notifications/"


def test_email_links_made_before_the_server_starts_follow_port(tmp_path):
    """`make run` loads the demo data (whose notifications are e-mailed) before runconsole sets SITE_URL:
    with PORT=8123 their links went to port 8000."""
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    env.update(PORT="8123", VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="console.settings")
    script = "from console.notify.services import absolute_url; print(absolute_url('/notifications/'))"
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123/notifications/"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded hosts
def test_the_web_server_leaves_no_database_connection_open_per_request(tmp_path):
    """The fault: on PostgreSQL, each events POST to runconsole's web server left an idle connection behind
    (Django's development server answers on a new thread, and the thread's kept connection outlived it)."""
    import hashlib
    import hmac
    import json
    import socket
    import time
    import urllib.request

    from django.db import connection

    from console.management.commands.runconsole import Command
    from hosts.models import Host
    from hosts.services import credential_create

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite keeps no connection open")
    credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="dev server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = connection.settings_dict
    from django.conf import settings

    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "console.settings",
           "SECRET_KEY": settings.SECRET_KEY,  # host secrets are kept sealed under it
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    env.pop("DB_CONN_MAX_AGE", None)
    server = subprocess.Popen(Command._commands("127.0.0.1", port)["web"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/hosts/weibo/events/"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.1)
        for n in range(40):  # a refused batch still reads the credential and the catalog
            body = json.dumps({"events": [{"id": f"e{n}", "type": "visit"}]}).encode()
            stamp = str(int(time.time()))
            signature = hmac.new(secret.encode(), f"{stamp}\nPOST\n/api/v1/hosts/weibo/events/\n".encode() + body,
                                 hashlib.sha256).hexdigest()
            request = urllib.request.Request(url, body, {
                "Content-Type": "application/json", "X-Host-Key": credential.key_id, "X-Host-Timestamp": stamp,
                "X-Host-Signature": f"sha256={signature}"})
            assert urllib.request.urlopen(request, timeout=10).status == 202
        time.sleep(0.5)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            (others,) = cursor.fetchone()
        assert others == 0
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


SLOW_TO_STOP = """
import os, signal, sys, time
with open(sys.argv[1], "a") as pids:
    pids.write(f"{os.getpid()}\\n")
def stop_slowly(*_):
    time.sleep(1)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop_slowly)
time.sleep(120)
"""

RUNCONSOLE_WITH_SLOW_CHILDREN = """
import os, sys
import django
django.setup()
from console.management.commands import runconsole
child = [sys.executable, "-c", sys.argv[1], sys.argv[2]]
runconsole.Command._commands = staticmethod(lambda addr, port: {"web": child, "worker": child, "beat": child})
from django.core.management import call_command
call_command("runconsole", port="8799")
"""


def test_a_second_stop_signal_does_not_cut_the_stop_short(tmp_path):
    """The fault: `kill` of `make run`'s process group left the web server (or the workers) running. make
    passes SIGTERM on to runconsole, so it is signalled twice, and the second signal broke off its stop."""
    import signal
    import time

    pids_file = tmp_path / "pids"
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "console.settings_test"}
    run = subprocess.Popen([sys.executable, "-c", RUNCONSOLE_WITH_SLOW_CHILDREN, SLOW_TO_STOP, str(pids_file)],
                           cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (pids_file.exists() and len(pids_file.read_text().split()) == 3):
        assert time.monotonic() < deadline and run.poll() is None, run.stderr.read().decode()
        time.sleep(0.1)
    children = [int(pid) for pid in pids_file.read_text().split()]

    run.send_signal(signal.SIGTERM)  # the process group's signal
    time.sleep(0.3)
    run.send_signal(signal.SIGTERM)  # make's, while the children are stopping
    run.wait(timeout=30)

    def alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    try:
        assert [pid for pid in children if alive(pid)] == []
    finally:
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
