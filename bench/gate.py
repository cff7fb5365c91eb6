"""Benchmark the signed share gate under gunicorn against a bare JSON view of the same app, in the same run.

    python bench/gate.py                        # the embedded default (SQLite database and runtime store)
    REDIS_URL=redis://127.0.0.1:6379/13 python bench/gate.py
    REDIS_URL=… DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/gate.py   # creates and drops x_gatebench

With REDIS_URL set, the script runs twice: once on the embedded default, once on Redis (and PostgreSQL when
DATABASE_URL is set). Each run migrates a throwaway database, seeds a host credential, a released program and
its weibo.feed grant, and starts gunicorn (2 sync workers, DEBUG off) on a free 127.0.0.1 port. Then:

- throughput: client processes alternate between the gate (`POST /api/v1/hosts/weibo/share-checks/`, each call
  signed afresh, a new host user each time, so every answer goes through the caps and is recorded) and
  two baselines behind the same middleware: a plain Django JSON view and a DRF view without authentication.
  Prints req/s, p50 and p99 for each and the ratio gate ÷ bare (target ≥ 0.8), and the gunicorn workers'
  CPU time per call (from /proc), which other load on a shared machine disturbs far less than req/s: the
  CPU ratio bare ÷ gate is the throughput ratio on a machine of its own (Redis's own CPU not counted);
- overruns: ROUNDS times, 50 clients released together ask for one user and program in the feed (1 share an
  hour) and for 50 users against a daily cap of 10; every "allow" above the cap is an overrun (target 0).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from hosts.signing import signed_headers  # noqa: E402 - standard library only

SECONDS = float(os.environ.get("BENCH_SECONDS", 1.5))  # per slice; slices alternate gate / bare
SLICES = int(os.environ.get("BENCH_SLICES", 8))
CLIENT_PROCESSES = int(os.environ.get("BENCH_CLIENT_PROCESSES", 2))
THREADS = int(os.environ.get("BENCH_THREADS", 4))  # per client process
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 10))
RACERS = 50
TARGET_RATIO = 0.8
SHARE = "/api/v1/hosts/weibo/share-checks/"
BASELINES = [("bare Django JSON view", "/bench/bare/"), ("bare DRF view, no auth", "/bench/bare-drf/")]


# ------------------------------------------------------------------------------------------ the client side


def _post(port: int, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n").encode() + body)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    finally:
        conn.close()
    raw = b"".join(chunks)
    status = int(raw[9:12])
    return status, raw.split(b"\r\n\r\n", 1)[1]


def _signed(key: str, secret: str, body: dict) -> tuple[bytes, dict]:
    raw = json.dumps(body, separators=(",", ":")).encode()
    return raw, signed_headers(key, secret, int(time.time()), "POST", SHARE, raw)


def _load(args) -> tuple[int, list[float], int]:
    """One client process: THREADS threads calling `path` for SECONDS; returns (calls, latencies, errors)."""
    port, path, key, secret, appid, tag = args
    deadline = time.perf_counter() + SECONDS
    latencies: list[float] = []
    errors = [0]

    def worker(n):
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            body, headers = _signed(key, secret, {"appid": appid, "scene": "weibo.feed", "user": f"{tag}-{n}-{count}",
                                                  "share_id": f"{tag}-{n}-{count}"})
            if path != SHARE:
                headers = {}
            started = time.perf_counter()
            status, answer = _post(port, path, body, headers)
            latencies.append(time.perf_counter() - started)
            if status != 200 or b'"allow":true' not in answer.replace(b" ", b""):
                errors[0] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, errors[0]


def _worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _measure(pool, port: int, path: str, credential: tuple[str, str], appid: str, tag: str, workers: list[int]):
    cpu = _cpu_seconds(workers)
    started = time.perf_counter()
    parts = pool.map(_load, [(port, path, *credential, appid, f"{tag}{p}") for p in range(CLIENT_PROCESSES)])
    elapsed = time.perf_counter() - started
    calls = sum(p[0] for p in parts)
    return calls, elapsed, [x for p in parts for x in p[1]], sum(p[2] for p in parts), _cpu_seconds(workers) - cpu


def _race(port: int, credential: tuple[str, str], bodies: list[dict]) -> int:
    """RACERS threads released together, each with its own signed call; returns how many were allowed."""
    barrier = threading.Barrier(len(bodies))
    allowed = []

    def racer(body):
        raw, headers = _signed(*credential, body)
        barrier.wait(timeout=30)
        status, answer = _post(port, SHARE, raw, headers)
        if status == 200 and json.loads(answer)["allow"]:
            allowed.append(1)

    threads = [threading.Thread(target=racer, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return len(allowed)


# ------------------------------------------------------------------------------------------ one configuration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed() -> dict:
    """Runs in a child with the configuration's environment: migrate, then the rows the gate reads."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from console.models import Organisation
    from distribution.models import Grant, WhitelistRequest
    from hosts.models import Host, Scene
    from hosts.runtime import host_store
    from hosts.services import credential_create
    from programs.models import MiniProgram, Version

    host_store().clear()
    org = Organisation.objects.create(name="Bench", slug="bench")
    feed = Scene.objects.get(code="weibo.feed")
    appids = {}
    for label, daily in (("throughput", None), ("share", None), ("daily", 10)):
        program = MiniProgram.objects.create(organisation=org, appid=f"2099{len(appids):012d}", name=f"Bench {label}")
        Version.objects.create(program=program, version="1.0.0", status=Version.Status.RELEASED, package="x.zip",
                               package_sha256=f"{len(appids):064d}", package_size=1, released_at=timezone.now())
        request = WhitelistRequest.objects.create(program=program, scene=feed, status="approved", justification="b")
        Grant.objects.create(program=program, scene=feed, request=request, daily_cap=daily,
                             valid_until=timezone.now() + timedelta(days=30))
        appids[label] = program.appid
    credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="bench",
                                           requests_per_minute=10**9)
    return {"key": credential.key_id, "secret": secret, "appids": appids}


def _wait_until_up(port: int, proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            _post(port, "/bench/bare/", b"{}", {})
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _run_configuration(label: str, env: dict) -> dict:
    seeded = json.loads(subprocess.run([sys.executable, __file__, "--seed"], env=env, cwd=ROOT, check=True,
                                       capture_output=True, text=True).stdout.strip().splitlines()[-1])
    port = _free_port()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "console.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
         "--log-level", "warning", "--backlog", "2048"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(port, gunicorn)
        credential = (seeded["key"], seeded["secret"])
        workers = _worker_pids(gunicorn.pid)
        return {"label": label, **_throughput(port, credential, seeded["appids"]["throughput"], workers),
                **_overruns(port, credential, seeded["appids"])}
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)


def _throughput(port: int, credential, appid: str, workers: list[int]) -> dict:
    targets = [("gate", SHARE), *BASELINES]
    results = {name: [0, 0.0, [], 0, 0.0] for name, _ in targets}
    with multiprocessing.Pool(CLIENT_PROCESSES) as pool:
        for name, path in targets:  # facts cached, connections made, code loaded
            _measure(pool, port, path, credential, appid, f"warm{name}", workers)
        for slice_ in range(SLICES):
            for name, path in targets:
                measured = _measure(pool, port, path, credential, appid, f"s{slice_}{name}", workers)
                total = results[name]
                for index, value in enumerate(measured):
                    total[index] += value
    return {"throughput": {name: _summary(*values) for name, values in results.items()}}


def _summary(calls: int, elapsed: float, latencies: list[float], errors: int, cpu: float) -> dict:
    ordered = sorted(latencies)
    return {"rps": calls / elapsed, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000, "calls": calls, "errors": errors,
            "cpu_us": cpu / calls * 1e6}


def _overruns(port: int, credential, appids: dict) -> dict:
    share_overruns = daily_overruns = 0
    for round_ in range(ROUNDS):
        user = f"racer-{round_}-{time.time_ns()}"
        allowed = _race(port, credential, [{"appid": appids["share"], "scene": "weibo.feed", "user": user,
                                            "share_id": f"{user}-{n}"} for n in range(RACERS)])
        share_overruns += max(0, allowed - 1)
    allowed_daily = 0
    for round_ in range(ROUNDS):
        allowed_daily += _race(port, credential, [{"appid": appids["daily"], "scene": "weibo.feed",
                                                   "user": f"d{round_}-{n}", "share_id": f"d{round_}-{n}"}
                                                  for n in range(RACERS)])
    daily_overruns = max(0, allowed_daily - 10)
    return {"overruns": {"share": share_overruns, "daily": daily_overruns, "daily_allowed": allowed_daily}}


# ------------------------------------------------------------------------------------------ orchestration


def _base_env(var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update({
        "VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "bench.gate_settings", "DEBUG": "0",
        "SECRET_KEY": "bench-gate-secret-key-not-for-production-0123456789", "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "60", "CACHE_KEY_PREFIX": "gatebench",
        "PYTHONPATH": str(ROOT),
    })
    return env


def _postgres_database(url: str) -> tuple[str, str]:
    """(bench database URL, its name): `<name>_gatebench` next to the named database, created empty."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_gatebench"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def _drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _print(result: dict) -> bool:
    print(f"\n{result['label']}")
    throughput = result["throughput"]
    gate = throughput["gate"]
    for name, values in throughput.items():
        print(f"  {name:<24} {values['rps']:6.0f} req/s  p50 {values['p50']:6.2f} ms  p99 {values['p99']:6.2f} ms  "
              f"{values['cpu_us']:5.0f} µs CPU/call  ({values['calls']} calls, {values['errors']} not allowed/failed)")
    ratios = {name: gate["rps"] / throughput[name]["rps"] for name, _ in BASELINES}
    for name, ratio in ratios.items():
        cpu_ratio = throughput[name]["cpu_us"] / gate["cpu_us"]
        print(f"  ratio gate ÷ {name}: {ratio:.2f} in req/s, {cpu_ratio:.2f} in server CPU per call")
    overruns = result["overruns"]
    print(f"  overruns with {RACERS} concurrent clients × {ROUNDS} rounds: share cap {overruns['share']}, "
          f"daily cap {overruns['daily']} ({overruns['daily_allowed']} allowed of a cap of 10)")
    ok = min(ratios.values()) >= TARGET_RATIO and overruns["share"] == 0 and overruns["daily"] == 0
    ok = ok and gate["errors"] == 0
    print(f"  {'OK' if ok else 'BELOW TARGET'} (target: gate ≥ {TARGET_RATIO}× the bare views, 0 overruns)")
    return ok


def main() -> int:
    configurations = [("embedded default: SQLite database, SQLite runtime store, file cache", {})]
    redis_url, database_url = os.environ.get("REDIS_URL"), os.environ.get("DATABASE_URL")
    if redis_url:
        label = "Redis runtime store and cache" + (", PostgreSQL" if database_url else ", SQLite database")
        configurations.append((label, {"REDIS_URL": redis_url}))
    print(f"gunicorn: {WORKERS} sync workers; load: {CLIENT_PROCESSES} processes × {THREADS} threads, "
          f"{SLICES} alternating slices of {SECONDS:.1f} s per endpoint; cpus: {os.cpu_count()}")
    ok = True
    for label, extra in configurations:
        with tempfile.TemporaryDirectory(prefix="bench-gate-") as var_dir:
            env = {**_base_env(var_dir), **extra}
            dropped = None
            if extra and database_url:
                env["DATABASE_URL"], name = _postgres_database(database_url)
                dropped = (database_url, name)
            try:
                ok = _print(_run_configuration(label, env)) and ok
            finally:
                if dropped:
                    _drop_postgres(*dropped)
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        print(json.dumps(_seed()))
        sys.exit(0)
    sys.exit(main())
