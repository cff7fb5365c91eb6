"""Upload → report latency of 2 MB packages, and recovery after SIGKILL of worker processes.

    python bench/upload_latency.py                                             # embedded broker
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 python bench/upload_latency.py  # Redis

Runs on the broker the environment names (CELERY_BROKER_URL, else REDIS_URL, else the embedded
file-system broker) and a throwaway SQLite database under a temporary VAR_DIR. Starts its own web
server (gunicorn, 2 processes x 10 threads, as in production: the single-process development server
would measure Django's multipart parsing under one GIL, not the broker) on a free port and Celery
worker (prefork, concurrency 2, as `make run`), then:

1. 20 concurrent uploads of a 2 MB package through the API (one client thread each). An upload's
   latency runs from the start of its request to the moment its report is stored (scan_finished_at).
2. Recovery, idle: SIGKILL every (idle) pool child, upload at once; from the kill to the report.
3. Recovery, busy: with scans slowed to about a second, SIGKILL the pool child mid-scan; from the kill to
   the report (the scan starts again from the beginning, so this includes one whole slowed scan).

Targets: p50 latency under 1 s; each recovery under 5 s (busy: 5 s beyond the slowed scan itself).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path; keep sibling scripts from shadowing modules.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

VAR_DIR = tempfile.mkdtemp(prefix="bench-upload-")
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
    # Production's settings module (not the tests'), with DEBUG for the embedded defaults.
    "VAR_DIR": VAR_DIR, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "console.settings", "CELERY_TASK_ALWAYS_EAGER": "0",
    "PACKAGE_UPLOADS_PER_HOUR": "10000",
}
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

UPLOADS = 20
SLOW_STAGE_SECONDS = 0.05  # per progress step: a slowed scan takes about a second
TARGET_P50, TARGET_RECOVERY = 1.0, 5.0


class Processes:
    """The web server and the worker, each in its own process group, logging under VAR_DIR."""

    def __init__(self):
        self.port = _free_port()
        self.procs: dict[str, subprocess.Popen] = {}

    def start_web(self) -> None:
        self._start("web", [sys.executable, "-m", "gunicorn", "console.wsgi", f"--bind=127.0.0.1:{self.port}",
                            "--workers=2", "--threads=10", "--access-logfile=-"])
        _wait(lambda: _accepts(self.port), 60, "web server")

    def start_worker(self, **env) -> None:
        log = self._start("worker", [sys.executable, "-m", "celery", "-A", "console", "worker", "--concurrency=2",
                                     "--queues=celery,scans", "--loglevel=INFO", "--hostname=bench@%h"], **env)
        _wait(lambda: "ready." in log.read_text(), 60, "worker")
        _wait(lambda: len(self.children("worker")) == 2, 30, "pool children")

    def _start(self, name: str, command: list[str], **env) -> Path:
        log = Path(VAR_DIR) / f"{name}-{time.monotonic_ns()}.log"
        self.procs[name] = subprocess.Popen(command, cwd=ROOT, env={**ENV, **env}, stdout=log.open("w"),
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return log

    def children(self, name: str) -> list[int]:
        pid = self.procs[name].pid
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def cpu_seconds(self, name: str) -> float:
        """CPU time used so far by the process and its current children (user + system)."""
        ticks = 0
        for pid in [self.procs[name].pid, *self.children(name)]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def kill_children(self, name: str) -> None:
        for pid in self.children(name):
            os.kill(pid, signal.SIGKILL)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _wait(predicate, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not ready after {timeout} s (logs in {VAR_DIR})")


def seed() -> tuple[list[str], str]:
    """A user, an organisation, UPLOADS programs and an API key; returns (appids, raw key).

    One program per concurrent upload: a program's versions must increase, which concurrent
    uploads to one program could not promise.
    """
    from console.models import User
    from console.roles import Role, scopes_for_role
    from console.services import api_key_create, organisation_create
    from programs.demo import DOMAINS
    from programs.models import Category
    from programs.services import program_create

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(email="bench@example.com", password="bench-pass-123")
    org = organisation_create(user=user, name="Bench Org")
    tools = Category.objects.get(code="tools")
    appids = [program_create(org=org, actor=user, name=f"Bench Upload {i}", domains=DOMAINS, categories=[tools]).appid
              for i in range(UPLOADS)]
    _, key = api_key_create(org=org, user=user, role=Role.OWNER, name="bench", scopes=scopes_for_role(Role.OWNER))
    return appids, key


def purge_broker() -> None:
    from console.celery import app

    with app.connection_for_write() as conn:
        for queue in ("celery", "scans"):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # the queue does not exist yet
                pass


class Uploader:
    def __init__(self, port: int, appids: list[str], key: str):
        from programs.cli import Client

        self.client, self.appids, self.count = Client(f"http://127.0.0.1:{port}", key), appids, 0
        self.answered: dict[str, float] = {}  # version -> when the 202 came back
        self.folder = Path(VAR_DIR) / "packages"
        self.folder.mkdir()

    def prepare(self) -> tuple[str, str, Path]:
        """The next program, a higher version and a fresh 2 MB package (a new tag: never a duplicate)."""
        from programs.samples import sized_package

        self.count += 1
        appid, version = self.appids[self.count % len(self.appids)], f"1.0.{self.count}"
        path = self.folder / f"{self.count}.zip"
        path.write_bytes(sized_package(tag=str(self.count)))
        return appid, version, path

    def upload(self, appid: str, version: str, path: Path) -> tuple[str, float]:
        started = time.time()
        status, _ = self.client.post_multipart(self.client.url("programs", appid, "versions"),
                                               {"version": version, "description": "bench"}, "package", path)
        assert status == 202, status
        self.answered[version] = time.time()
        return version, started


def reported_at(versions: list[str], timeout: float = 120) -> dict[str, float]:
    """Wait until every version has its report; answer when each was stored (Unix time)."""
    from programs.models import Version

    def done():
        rows = dict(Version.objects.filter(version__in=versions, scan_finished_at__isnull=False)
                    .values_list("version", "scan_finished_at"))
        return len(rows) == len(versions) and {v: at.timestamp() for v, at in rows.items()}

    return _wait(done, timeout, "reports", interval=0.01)


def latency_burst(uploader: Uploader) -> tuple[list[float], dict[str, float]]:
    """Latencies of UPLOADS concurrent uploads, and the median of each leg of the way."""
    from programs.models import Version

    packages = [uploader.prepare() for _ in range(UPLOADS)]
    with ThreadPoolExecutor(UPLOADS) as pool:
        started = dict(pool.map(lambda package: uploader.upload(*package), packages))
    finished = reported_at(list(started))
    scan_started = {v: at.timestamp() for v, at in
                    Version.objects.filter(version__in=started).values_list("version", "scan_started_at")}
    legs = {
        "request (202)": [uploader.answered[v] - started[v] for v in started],
        "queued": [scan_started[v] - uploader.answered[v] for v in started],
        "scan task": [finished[v] - scan_started[v] for v in started],
    }
    return sorted(finished[v] - started[v] for v in started), {leg: statistics.median(x) for leg, x in legs.items()}


def recovery(processes: Processes, uploader: Uploader, *, busy: bool) -> float:
    """From SIGKILL of the worker's pool children to the report of a scan caught by it."""
    from programs.models import Version

    package = uploader.prepare()
    version = package[1]
    if busy:
        uploader.upload(*package)
        _wait(lambda: Version.objects.filter(version=version, scan_progress__gt=0, status="scanning").exists(),
              30, "a scan in progress")
    processes.kill_children("worker")
    killed = time.time()
    if not busy:
        uploader.upload(*package)
    return reported_at([version])[version] - killed


def slowed_scan(uploader: Uploader) -> float:
    version, started = uploader.upload(*uploader.prepare())
    return reported_at([version])[version] - started


def main() -> int:
    broker = settings.CELERY_BROKER_URL.split("@")[-1]
    transport = getattr(settings, "CELERY_BROKER_TRANSPORT", None) or broker.split(":")[0]
    print(f"broker: {broker} (transport {transport}); worker: prefork, concurrency 2; "
          f"{UPLOADS} concurrent uploads of a 2 MB package, each to its own program")
    appids, key = seed()
    purge_broker()
    processes = Processes()
    try:
        processes.start_web()
        processes.start_worker()
        uploader = Uploader(processes.port, appids, key)
        latency_burst(uploader)  # warm-up: imports, connections, page cache
        cpu_before = processes.cpu_seconds("worker")
        latencies, legs = latency_burst(uploader)
        worker_cpu = processes.cpu_seconds("worker") - cpu_before
        idle = recovery(processes, uploader, busy=False)
        processes.stop("worker")
        processes.start_worker(SCAN_STAGE_DELAY_SECONDS=str(SLOW_STAGE_SECONDS))
        slowed = slowed_scan(uploader)
        busy = recovery(processes, uploader, busy=True)
    finally:
        processes.stop_all()
        shutil.rmtree(VAR_DIR, ignore_errors=True)
    p50, p95 = statistics.median(latencies), statistics.quantiles(latencies, n=20)[-1]
    print(f"upload -> report latency: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"min {latencies[0] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print("  median legs: " + ", ".join(f"{leg} {seconds * 1000:.0f} ms" for leg, seconds in legs.items()))
    print(f"  worker CPU for the burst: {worker_cpu:.2f} s ({worker_cpu / UPLOADS * 1000:.0f} ms per upload; "
          "a figure the machine's load does not stretch)")
    print(f"recovery after SIGKILL of the idle pool children: {idle * 1000:.0f} ms to the next upload's report")
    print(f"recovery after SIGKILL of the pool child mid-scan: {busy * 1000:.0f} ms to its report "
          f"(the slowed scan alone takes {slowed * 1000:.0f} ms)")
    print(f"load average during the run: {os.getloadavg()[1]:.1f} on {os.cpu_count()} CPUs "
          "(a loaded machine stretches every leg alike)")
    ok = p50 < TARGET_P50 and idle < TARGET_RECOVERY and busy - slowed < TARGET_RECOVERY
    print(f"targets (p50 < {TARGET_P50:g} s; recovery < {TARGET_RECOVERY:g} s): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
