"""Benchmark a program's 30-day stats dashboard as raw events grow, and exact uniques against COUNT(DISTINCT).

    python bench/dashboard.py                                            # a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/dashboard.py   # creates and drops test_x
    BENCH_SIZES=100000,1000000,10000000 ...                              # raw events at each measurement
    BENCH_KEEP_DB=1 DATABASE_URL=postgres://postgres@127.0.0.1/x ...     # load into x itself and keep it:
                                                                         # a later run measures without reloading

Events go through the production drain (`stats.drain.events_store`, the Celery task's body), in
batches of BENCH_BATCH (5,000), for one program with BENCH_USERS users over 30 days; at each size the
script vacuums the rollup tables (PostgreSQL) and measures, median of RUNS after a warm-up:
- the dashboard page (server time through Django's test client, with DEBUG off as in production), the
  stats API, and a plain console page (the members list) for what the console's shell costs every page;
  the page also as a process's first reading of the program, with none of its user sets kept
  (`stats.setcache`: later readings receive only the sets a drain rewrote since);
- the 30-day unique visitors from the rollups against COUNT(DISTINCT user_hash) over the raw events
  (both must agree).
A kept database (BENCH_KEEP_DB) is loaded only up to the largest size asked; the traffic is the same
(seeded), so a run that stopped half way goes on where it stopped.
Targets (issue 8): dashboard p50 < 20 ms, the largest size ≤ 1.5× the smallest; uniques ≥ 20× faster.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-dashboard-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")  # local cache, eager Celery
# Server time as production spends it: DEBUG off (no per-query debug logging, no template debug info).
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-dashboard-secret-key-not-for-production-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]
USERS = int(os.environ.get("BENCH_USERS", 50_000))
RUNS = int(os.environ.get("BENCH_RUNS", 15))
BATCH = int(os.environ.get("BENCH_BATCH", 5_000))  # events per drain; larger loads 10M sooner, same rollups
SCENES = [("weibo", "weibo.private_message"), ("weibo", "weibo.profile"), ("alipay", "alipay.life_account")]
KINDS = ["visit"] * 75 + ["share"] * 5 + ["share_open"] * 10 + ["new_user"] * 7 + ["payment"] * 3


class Traffic:
    """Normalised events (as `stats.events` makes them) for one program: skewed users, chains of shares."""

    def __init__(self, program_id: int):
        self.program_id, self.rng, self.serial = program_id, random.Random(11), 0
        self.today = timezone.localdate()
        self.recent_shares: list[str] = []

    def batch(self, n: int) -> list[dict]:
        return [self._event() for _ in range(n)]

    def _event(self) -> dict:
        self.serial += 1
        rng, kind = self.rng, self.rng.choice(KINDS)
        host, scene = rng.choice(SCENES)
        day = self.today - timedelta(days=min(29, int(rng.expovariate(1 / 9))))
        user = min(USERS - 1, int(rng.paretovariate(1.2))) if rng.random() < 0.5 else rng.randrange(USERS)
        share_id = parent = ""
        if kind == "share":
            share_id = f"s{self.serial}"
            if self.recent_shares and rng.random() < 0.4:
                parent = rng.choice(self.recent_shares)
            self.recent_shares = (self.recent_shares + [share_id])[-500:]
        elif kind in ("share_open", "new_user") and self.recent_shares and rng.random() < 0.7:
            share_id = rng.choice(self.recent_shares)
        return {
            "key": f"{host}:b{self.serial}", "host": host, "scene": scene, "program_id": self.program_id,
            "type": kind, "user_hash": f"{user:032x}",
            "occurred_at": datetime(day.year, day.month, day.day, 4, tzinfo=UTC).isoformat(), "day": day.isoformat(),
            "page": "pages/index/index", "page_views": rng.randint(1, 9), "stay_seconds": rng.randint(5, 600),
            "share_id": share_id, "parent_share_id": parent, "amount": "19.90" if kind == "payment" else "0",
        }


def median_ms(fn, runs: int = RUNS) -> float:
    return timed(fn, runs)[0]


def timed(fn, runs: int = RUNS) -> tuple[float, float]:
    """Median wall time and mean CPU time of this process, in ms, after a warm-up.

    CPU time leaves out the database server and, mostly, other processes on a busy machine: read
    together with the wall time it tells a slow machine from slow code.
    """
    fn()  # warm-up
    times = []
    cpu_started = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), (time.process_time() - cpu_started) * 1000 / runs


def vacuum() -> None:
    """VACUUM ANALYZE the tables the drain rewrites, as autovacuum would (the bench's server may run without it).

    Every drain rewrites the day's user sets; without vacuum their dead versions pile up (a hundred per
    live row after 1M events) and every read wades through them.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("stats_userset", "stats_dailystats", "stats_sharechain", "stats_sharedepthdaily", "stats_share",
                      "stats_statsuser", "stats_programstatsstate"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def measure(program, client, path, shell_path) -> dict:
    from stats.selectors import StatsQuery, program_totals
    from stats.setcache import set_cache

    vacuum()
    today = timezone.localdate()
    query = StatsQuery(start=today - timedelta(days=29), end=today)
    api = f"/api/v1/programs/{program.appid}/stats/"
    page_ms, page_cpu = timed(lambda: client.get(path))
    cold_ms, _ = timed(lambda: (set_cache.clear(), client.get(path)))  # as a process's first reading of the program
    api_ms, api_cpu = timed(lambda: client.get(api))
    shell_ms, shell_cpu = timed(lambda: client.get(shell_path))

    def rollup_uniques():  # the 30-day totals the dashboard shows: unions of the day bitmaps
        return program_totals(program, query)["unique_visitors"]

    def count_distinct():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(DISTINCT user_hash) FROM stats_rawevent WHERE program_id = %s AND "
                           "type = 'visit' AND day BETWEEN %s AND %s", [program.pk, query.start, query.end])
            return cursor.fetchone()[0]

    return {
        "page_ms": page_ms, "cold_ms": cold_ms, "api_ms": api_ms, "shell_ms": shell_ms,
        "page_cpu": page_cpu, "api_cpu": api_cpu, "shell_cpu": shell_cpu, "uniques": rollup_uniques(),
        "raw_uniques": count_distinct(), "union_ms": median_ms(rollup_uniques),
        # Seconds at 10M events: a few runs are enough to see the order of magnitude.
        "distinct_ms": median_ms(count_distinct, runs=DISTINCT_RUNS),
    }


KEEP_DB = os.environ.get("BENCH_KEEP_DB", "") not in ("", "0")
LOAD_ONLY = os.environ.get("BENCH_LOAD_ONLY", "") not in ("", "0")  # with BENCH_KEEP_DB: load, measure later
DISTINCT_RUNS = int(os.environ.get("BENCH_DISTINCT_RUNS", 3))


def bench_program():
    """The benchmark's owner, organisation and program (made once; a kept database has them already)."""
    from console.models import Membership, Organisation, User
    from console.roles import Role
    from programs.models import MiniProgram

    owner = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
        email="bench@example.com", password="x")
    org, _ = Organisation.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Membership.objects.get_or_create(organisation=org, user=owner, defaults={"role": Role.OWNER})
    program, _ = MiniProgram.objects.get_or_create(
        appid="2099000000000001", defaults={"organisation": org, "name": "Bench"})
    return owner, org, program


def already_loaded(program, traffic: Traffic) -> int:
    """Raw events a kept database holds for the program; the traffic is replayed past them (same seed)."""
    from stats.models import RawEvent

    loaded = RawEvent.objects.filter(program_id=program.pk).count()
    if loaded >= max(SIZES):
        return loaded  # nothing more to load: no need to replay (a minute and a half at 10M)
    for _ in range(loaded // BATCH):
        traffic.batch(BATCH)
    traffic.batch(loaded % BATCH)
    return loaded


def main() -> int:
    if KEEP_DB:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from stats.drain import events_store

        owner, org, program = bench_program()
        client = Client()
        client.force_login(owner)
        path = f"/orgs/{org.slug}/programs/{program.appid}/stats/"
        shell_path = f"/orgs/{org.slug}/members/"  # a plain console page: what every page costs
        traffic, results = Traffic(program.pk), []
        loaded = already_loaded(program, traffic) if KEEP_DB else 0
        print(f"{connection.vendor}, {USERS:,} users over 30 days, {RUNS} runs per figure"
              + (f", {loaded:,} raw events kept from an earlier run" if loaded else ""))
        for size in SIZES:
            started, before = time.perf_counter(), loaded
            while loaded < size:
                n = min(BATCH, size - loaded)
                events_store(traffic.batch(n))
                loaded += n
                if KEEP_DB and loaded % 500_000 < n:
                    print(f"  loaded {loaded:,} at {(loaded - before) / (time.perf_counter() - started):,.0f}/s",
                          flush=True)
            if LOAD_ONLY:
                print(f"{loaded:,} raw events loaded", flush=True)
                continue
            drained = (f"drained at {(loaded - before) / (time.perf_counter() - started):,.0f}/s"
                       if loaded > before else "loaded earlier")
            figures = measure(program, client, path, shell_path)
            results.append((size, figures))
            print(f"{size:>11,} raw events ({drained}): page p50 {figures['page_ms']:.1f} ms "
                  f"(CPU {figures['page_cpu']:.1f}; with no user sets kept {figures['cold_ms']:.1f}), API p50 {figures['api_ms']:.1f} ms (CPU {figures['api_cpu']:.1f}), "
                  f"a plain console page {figures['shell_ms']:.1f} ms (CPU {figures['shell_cpu']:.1f}); 30-day uniques {figures['uniques']:,} "
                  f"(COUNT DISTINCT {figures['raw_uniques']:,}) in {figures['union_ms']:.2f} ms "
                  f"vs {figures['distinct_ms']:.1f} ms = {figures['distinct_ms'] / figures['union_ms']:.0f}× faster")
        if not results:
            return 0
        small, large = results[0][1], results[-1][1]
        exact = all(f["uniques"] == f["raw_uniques"] for _, f in results)
        print(f"page at {results[-1][0]:,} ÷ at {results[0][0]:,}: {large['page_ms'] / small['page_ms']:.2f}× "
              f"(target ≤ 1.5×); p50 target < 20 ms; uniques exact: {exact}")
        return 0 if exact else 1
    finally:
        if not KEEP_DB:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
