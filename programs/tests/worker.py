"""A real Celery worker process for tests, on the broker and database the suite is using."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from console.celery import app as celery_app

REPO = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """Start with `start()`, stop with `stop()` (warm) or `kill()` (SIGKILL to the whole process group)."""

    def __init__(self, *, concurrency: int = 1, queues: str = "celery,scans", pool: str = "prefork", **env):
        self.concurrency, self.queues, self.pool = concurrency, queues, pool
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "console.settings_test", "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            **{k: str(v) for k, v in env.items()},
        }
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(settings.MEDIA_ROOT).parent / f"worker-{time.monotonic_ns()}.log"

    def start(self, timeout: float = 30) -> "WorkerProcess":
        command = [sys.executable, "-m", "celery", "-A", "console", "worker", f"--queues={self.queues}",
                   f"--concurrency={self.concurrency}", f"--pool={self.pool}", "--loglevel=INFO", "--without-gossip",
                   "--without-mingle",
                   f"--hostname=test-{os.getpid()}-{time.monotonic_ns()}@%h"]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_for_log("ready.", timeout)
        return self

    def _wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_text():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout}s:\n{self.log_path.read_text()}")

    def output(self) -> str:
        return self.log_path.read_text()

    def children(self) -> list[int]:
        """The pool's child processes (the worker's main process forks them)."""
        pid = self.proc.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def wait_for_children(self, count: int, *, excluding: list[int] = (), timeout: float = 15) -> list[int]:
        """The pool's children once there are `count` of them, none of them in `excluding` (killed ones)."""
        def ready():
            kids = self.children()
            return len(kids) == count and not set(kids) & set(excluding) and kids

        return wait_for(ready, timeout, interval=0.02)

    def kill_children(self) -> list[int]:
        """SIGKILL every pool child, leaving the main process alone, as the OOM killer or an operator would."""
        killed = self.children()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def real_broker():
    """Publish for real (the suite otherwise runs tasks eagerly) and start from an empty queue."""
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        for queue in ("celery", "scans"):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # the queue does not exist yet
                pass


def eager_again():
    celery_app.conf.task_always_eager = True


def wait_for(predicate, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")
