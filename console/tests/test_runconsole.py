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
