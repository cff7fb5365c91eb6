"""Run the web server, the Celery workers and Celery beat together in the foreground.

`make run` uses this on the embedded default; Ctrl-C stops them all. Each runs as
its own process, exactly as in production, so the worker really scans; a worker or
beat that dies (even by SIGKILL) is started again (console/supervisor.py).
"""

import os
import shutil
import signal
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from console.demo import DEMO_PASSWORD, demo_second_factor_line
from console.supervisor import Supervisor


class Command(BaseCommand):
    help = "Run web + Celery workers + Celery beat in the foreground, restarting a worker that dies (Ctrl-C stops all)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, addr, port, **options):
        env = child_environment(addr, port)
        _empty(Path(env["PROMETHEUS_MULTIPROC_DIR"]))  # metrics of an earlier run are not this run's
        os.environ.update(env)  # the supervised processes inherit it
        supervisor = Supervisor(self._commands(addr, port), essential=("web",), log=self.stderr.write)
        supervisor.start()
        # `kill`, a closed terminal or a supervisor's stop must take the children down too, not only Ctrl-C.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _interrupt)
        self._banner(env["SITE_URL"])
        try:
            while supervisor.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            supervisor.stop()
            self.stdout.write("Stopped web, workers and beat.")

    @staticmethod
    def _commands(addr, port) -> dict[str, list[str]]:
        celery = [sys.executable, "-m", "celery", "-A", "console"]
        return {
            # Django's server answers each request on a thread of its own, and a connection kept past the
            # request stayed open after its thread ended (13 idle PostgreSQL connections after 90 event posts).
            "web": ["env", "DB_CONN_MAX_AGE=0", sys.executable, "manage.py", "runserver", f"{addr}:{port}",
                    "--noreload"],
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--queues=celery,scans",
                       "--hostname=scans@%h"],
            # The stuck-scan sweeper runs apart from the worker it watches (see CELERY_TASK_ROUTES).
            "maintenance": [*celery, "worker", "--loglevel=INFO", "--pool=solo", "--queues=maintenance",
                            "--hostname=maintenance@%h"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }

    def _banner(self, url):
        self.stdout.write(self.style.SUCCESS(f"\nConsole running at {url}/  (Ctrl-C stops web, workers and beat)"))
        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL}   Database: {settings.DATABASES['default']['ENGINE']}")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): developer@example.com, reviewer@example.com, "
                          "operator@example.com, admin@example.com")
        self.stdout.write(demo_second_factor_line() + "\n")


def child_environment(addr: str, port, environ=None) -> dict:
    """The environment of web, workers and beat: links in emails point at the port the web server binds
    (unless SITE_URL names the public address), and they share one metrics folder."""
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
    """Stop once: later signals are ignored while the children stop. `kill` of `make run`'s process group
    signals runconsole twice (make passes SIGTERM on to its child), and the second interrupted the stop,
    leaving the web server or the workers running with no one to stop them."""
    for later in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(later, signal.SIG_IGN)
    raise KeyboardInterrupt
