"""Run the web server, a Celery worker and Celery beat together in the foreground.

`make run` uses this on the embedded default; Ctrl-C stops all three. Each runs
as its own process, exactly as in production, so the worker really scans.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from console.demo import DEMO_PASSWORD, DEMO_SECOND_FACTOR_LINE


class Command(BaseCommand):
    help = "Run web + Celery worker + Celery beat in the foreground (Ctrl-C stops them all)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, addr, port, **options):
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"{addr}:{port}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "console", "worker", "--loglevel=INFO", "--concurrency=2",
                       "--queues=celery,scans"],
            "beat": [python, "-m", "celery", "-A", "console", "beat", "--loglevel=INFO"],
        }
        env = child_environment(addr, port)
        _empty(Path(env["PROMETHEUS_MULTIPROC_DIR"]))  # metrics of an earlier run are not this run's
        processes = {name: subprocess.Popen(cmd, start_new_session=True, env=env) for name, cmd in commands.items()}
        # `kill`, a closed terminal or a supervisor's stop must take the children down too, not only Ctrl-C.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _interrupt)
        self._banner(env["SITE_URL"])
        try:
            self._wait(processes)
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(processes)

    def _banner(self, url):
        self.stdout.write(self.style.SUCCESS(f"\nConsole running at {url}/  (Ctrl-C stops web, worker and beat)"))
        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL}   Database: {settings.DATABASES['default']['ENGINE']}")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): developer@example.com, reviewer@example.com, "
                          "operator@example.com, admin@example.com")
        self.stdout.write(DEMO_SECOND_FACTOR_LINE + "\n")

    def _wait(self, processes):
        while True:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with {proc.returncode}; stopping the others.")
                    return
            time.sleep(0.5)

    def _stop(self, processes):
        for proc in processes.values():
            if proc.poll() is None:
                proc.terminate()  # the main process only: Celery then stops its own pool (a warm shutdown)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.stdout.write("Stopped web, worker and beat.")


def child_environment(addr: str, port, environ=None) -> dict:
    """The environment of web, worker and beat: links in emails point at the port the web server binds
    (unless SITE_URL names the public address), and the three share one metrics folder."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("SITE_URL"):
        host = "127.0.0.1" if addr in ("", "0.0.0.0", "::") else addr
        env["SITE_URL"] = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.PROMETHEUS_MULTIPROC_DIR))
    return env


def _empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
