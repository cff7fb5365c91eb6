"""Benchmark the stats ingest end to end: signed batches through the real endpoint and the drain.

    python bench/ingest.py                                            # a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/ingest.py   # creates and drops test_x

Three ways to get the same events into the database, measured in one run (events per second):
1. ours: signed POSTs of 1,000 events to `/api/v1/hosts/weibo/events/` (in-process, Django's test client),
   validated, kept in the host runtime store (Redis when REDIS_URL is set), and stored by the drain task
   (eager here, so its time is included): raw rows by COPY plus every rollup;
2. one insert per request: each event POSTed alone to a bare view that validates it the same way and
   inserts its raw row (no rollups at all);
3. a raw COPY (PostgreSQL; a multi-row INSERT on SQLite) of the very raw rows the first way stored.
Targets (issue 8): ours ≥ 25× the second, ≥ 50 % of the third.
Then the floor: the COPY plus only the steps any ingest that keeps the issue's rules must take (the body's
signature, its JSON, each event's validation, its id's claim), each timed alone on the same batches, as a
share of the COPY; what the ratio of the first way could be at best, with nothing else on the way.

Runs as the test runner does (DEBUG off, so no query log) with the URLconf imported before the clock
starts; then prints where the time of the first way goes, stage by stage. The drain pipelines its
statements on PostgreSQL, so the server's time for a statement is counted in the stage that waits
for its result (the raw rows and counters show under the rollups, the last writes under COMMIT).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-ingest-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")  # local cache, eager Celery

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
# Eager tasks log "Task … succeeded" for every drained batch; the figures are what this prints.
logging.getLogger("celery.app.trace").setLevel(logging.WARNING)

from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment(debug=False)

from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path, resolve  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", 50_000))
SINGLE = int(os.environ.get("BENCH_SINGLE", 3_000))  # events sent one per request (the slow baseline)
APPID = "2099000000000001"


@csrf_exempt
def one_event_one_insert(request):
    """The naive ingest: one event per request, validated, one INSERT of its raw row."""
    from hosts.models import Host
    from stats.drain import _raw_row
    from stats.events import Event, validate_batch
    from stats.ingest import ingest_context
    from stats.models import RawEvent
    from stats.storage import RAW_COLUMNS

    raw = json.loads(request.body)
    accepted = validate_batch([raw], ingest_context(Host.objects.get(code="weibo"), [raw])).accepted
    for event in accepted:
        RawEvent.objects.create(**dict(zip(RAW_COLUMNS, _raw_row(Event(**event), timezone.now()), strict=True)))
    return JsonResponse({"accepted": len(accepted)})


urlpatterns = [path("naive/", one_event_one_insert)]


def events(count: int, prefix: str) -> list[dict]:
    from stats.simulation import Placement, Simulator, batches  # noqa: F401

    out: list[dict] = []
    seed = 0
    while len(out) < count:  # a week of realistic traffic per seed, until there is enough
        seed += 1
        sim = Simulator([Placement(APPID, "weibo", ("weibo.private_message", "weibo.profile"))], days=7,
                        new_users_per_day=max(10, count // 40), seed=seed)
        for event in sim.events(now=timezone.now()):
            event["id"] = f"{prefix}{seed}-{event['id']}"
            out.append(event)
    return out[:count]


def signed_post(client: Client, key: str, secret: str, batch: list[dict]):
    from hosts import signing

    path_, body = "/api/v1/hosts/weibo/events/", json.dumps({"events": batch}).encode()
    headers = signing.signed_headers(key, secret, int(time.time()), "POST", path_, body)
    response = client.generic("POST", path_, body, content_type="application/json",
                              **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    assert response.status_code == 202, response.content
    answer = response.json()
    assert not answer["rejected"], answer["rejected"][:3]
    return answer


def copy_rate() -> float:
    """Re-insert the stored raw rows, as they are, into an empty table of the same shape."""
    from stats import storage

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(storage.RAW_COLUMNS)} FROM stats_rawevent")
        rows = [tuple(r) for r in cursor.fetchall()]
        cursor.execute("DELETE FROM stats_rawevent")
    started = time.perf_counter()
    storage.write_raw_events(rows)
    return len(rows) / (time.perf_counter() - started)


def floor_rate(batches: list[list[dict]], secret: str, copy: float) -> tuple[float, dict[str, float]]:
    """The most any ingest that keeps the issue's rules could reach: the COPY, plus only the steps it cannot
    skip, each timed alone on the same batches (µs per event).

    Steps: check the body's signature, parse its JSON, validate each event (our checks, the leanest we have:
    one flat pass), claim its id in the host runtime store (the de-duplication across requests, one script
    call per batch). Nothing else: no HTTP, no framework, no queue, no rollups, no share chains.
    """
    import orjson

    from hosts import signing
    from hosts.models import Host
    from stats.events import validate_batch
    from stats.ingest import ingest_context
    from stats.seen import _claim

    bodies = [orjson.dumps({"events": batch}) for batch in batches]
    count = sum(len(batch) for batch in batches)
    host = Host.objects.get(code="weibo")
    steps: dict[str, float] = {}

    def timed(label, work):
        started = time.perf_counter()
        result = work()
        steps[label] = (time.perf_counter() - started) / count * 1e6
        return result

    timed("signature (HMAC-SHA256 of the body)", lambda: [
        signing.signature(secret, "1", "POST", "/api/v1/hosts/weibo/events/", body) for body in bodies])
    parsed = timed("JSON parse (orjson)", lambda: [orjson.loads(body)["events"] for body in bodies])
    contexts = [ingest_context(host, events) for events in parsed]  # its queries: per request, not per event
    accepted = timed("validation (one flat pass)", lambda: [
        validate_batch(events, context).accepted for events, context in zip(parsed, contexts, strict=True)])
    timed("id claimed in the host runtime store", lambda: [_claim([e["key"] for e in events]) for events in accepted])
    steps["raw COPY"] = 1e6 / copy
    return 1e6 / sum(steps.values()), steps


class Stages:
    """Wall time spent inside named functions (exclusive of the named functions they call), wrapped where
    their callers look them up."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.inner: list[float] = []  # per open call: time spent in named calls below it

    def wrap(self, owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            self.inner.append(0.0)
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                below = self.inner.pop()
                self.seconds[label] = self.seconds.get(label, 0.0) + spent - below
                if self.inner:
                    self.inner[-1] += spent

        setattr(owner, name, timed)

    def report(self, seconds: dict[str, float], total: float, cpu: float, events: int) -> None:
        print(f"where the time of 'ours' goes (µs per event; this process was on a CPU {cpu / total:.0%} of it, "
              f"the rest is waiting for the database or for a core):")
        rest = ("the rest: client JSON and signing, HTTP, Django, DRF, Celery", total - sum(seconds.values()))
        for label, spent in [*seconds.items(), rest]:
            print(f"  {label:<60} {spent / events * 1e6:7.1f}  {spent / total:4.0%}")


def instrument() -> Stages:
    import console.parsers
    from hosts.runtime import host_store
    from stats import drain, ingest, seen, storage, tasks

    stages = Stages()
    stages.wrap(console.parsers.DepthLimitedJSONParser, "_parse", "JSON parse")
    stages.wrap(console.parsers, "json_depth", "JSON depth limit")
    stages.wrap(ingest, "ingest_context", "validation context (queries)")
    stages.wrap(ingest, "validate_batch", "validation")
    stages.wrap(seen, "split_duplicates", "duplicates (EventKey read, seen-id claim)")
    store = type(host_store())
    stages.wrap(store, "append", "batch kept in the host runtime store")
    stages.wrap(store, "take", "drain: batches taken from the host runtime store")
    stages.wrap(storage, "insert_new_event_keys", "drain: EventKey insert, staging table emptied")
    stages.wrap(storage, "stage_events", "drain: COPY into the staging table")
    stages.wrap(drain, "_program_rollups", "drain: rollups (raw rows, counters, users, sets, shares)")
    stages.wrap(tasks, "events_store", "drain: last statements, COMMIT")
    return stages


def main() -> int:
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from console.models import Organisation
        from hosts.models import Host
        from hosts.services import credential_create
        from programs.models import MiniProgram, Version
        from stats.models import RawEvent

        org = Organisation.objects.create(name="Bench", slug="bench")
        program = MiniProgram.objects.create(organisation=org, appid=APPID, name="Bench")
        Version.objects.create(program=program, version="1.0.0", sort_key=[1, 0, 0], status=Version.Status.RELEASED,
                               package="x.zip", package_sha256="0" * 64, package_size=1)
        credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="bench")
        credential.requests_per_minute = 10**6
        credential.save()
        client = Client()
        print(f"{connection.vendor}: {EVENTS:,} events in batches of 1,000; {SINGLE:,} for the one-per-request baseline")

        resolve("/api/v1/hosts/weibo/events/")  # imports every URLconf: process start-up, not ingest
        # Ids of this run's own: Redis keeps the ids it has seen for days, and a second run's would be duplicates.
        run = f"{time.time_ns():x}-"
        ours = events(EVENTS, f"a{run}")
        stages = instrument()
        started, cpu_started = time.perf_counter(), time.process_time()
        for start in range(0, len(ours), 1000):
            signed_post(client, credential.key_id, secret, ours[start:start + 1000])
        ours_time, ours_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        ours_stages = dict(stages.seconds)
        ours_rate = len(ours) / ours_time
        stored = RawEvent.objects.count()
        copy = copy_rate()

        singles = events(SINGLE, f"b{run}")
        with override_settings(ROOT_URLCONF=__name__):
            started = time.perf_counter()
            for event in singles:
                client.post("/naive/", json.dumps(event), content_type="application/json")
            naive_rate = len(singles) / (time.perf_counter() - started)

        print(f"ours (signed batches, validation, drain with COPY and every rollup): {ours_rate:,.0f} events/s "
              f"({stored:,} stored)")
        print(f"one event, one INSERT per request (no rollups):                     {naive_rate:,.0f} events/s")
        print(f"raw COPY of the same rows (no validation, no rollups):               {copy:,.0f} events/s")
        print(f"ours ÷ one-per-request: {ours_rate / naive_rate:.1f}× (target ≥ 25×); "
              f"ours ÷ raw COPY: {ours_rate / copy:.0%} (target ≥ 50 %)")
        stages.report(ours_stages, ours_time, ours_cpu, len(ours))

        floor, steps = floor_rate([ours[start:start + 1000] for start in range(0, len(ours), 1000)], secret, copy)
        print(f"the floor: the COPY plus only the steps no ingest may skip, each alone (µs per event): "
              f"{floor:,.0f} events/s, {floor / copy:.0%} of the raw COPY")
        for label, spent in steps.items():
            print(f"  {label:<60} {spent:7.1f}")
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
