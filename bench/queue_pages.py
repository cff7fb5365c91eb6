"""The measuring loop shared by bench/review_queue.py and bench/distribution_queue.py.

Each seeds a queue in Django's test database, then times its pages and API answers here: the median
wall time over `runs` requests after a warm-up, and the query count of one request. A label ending in
`*` is the page with 10 rows instead of 50 (the page-size setting named by the script).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from console.tests.otp import verify_session


def measure(client: Client, url: str, runs: int) -> tuple[float, int]:
    client.get(url)  # warm-up (and the session's saved filters)
    connection.queries_log.clear()  # DEBUG keeps at most 9,000 queries: a full log would count nothing
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(ctx.captured_queries)


def run(seed: Callable, seeded: str, requests: list[tuple[str, str]], page_size_setting: str,
        runs: int, target_ms: float) -> int:
    """Seed (`seed()` returns the user who reads), time every request, print the figures; 0 if on target."""
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        reader = seed()
        print(f"{connection.vendor}: {seeded} seeded in {time.perf_counter() - started:.1f} s; "
              f"median of {runs} requests each")
        client = Client()
        client.force_login(reader)
        verify_session(client, reader)  # staff pages need the second factor passed, as a real sign-in leaves it
        worst = 0.0
        for label, url in requests:
            setattr(settings, page_size_setting, 10 if label.endswith("*") else 50)
            median, queries = measure(client, url, runs)
            worst = max(worst, median)
            print(f"  {label:<28} {median:7.1f} ms  {queries:3d} queries   {url}")
        print(f"  * the page with {page_size_setting}=10 instead of 50")
        verdict = "OK" if worst <= target_ms else "SLOW"
        print(f"{verdict}: slowest median {worst:.1f} ms (target {target_ms} ms)")
        return 0 if verdict == "OK" else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def bench_programs(orgs: list, count: int) -> list:
    """`count` programs spread over `orgs`, made at once. bulk_create skips `save()`, which sets each name's
    look-alike key (unique among live programs), so it is set here."""
    from programs.models import MiniProgram
    from programs.names import name_key

    names = [f"Bench {i:05d}" for i in range(count)]
    return MiniProgram.objects.bulk_create(
        MiniProgram(organisation=orgs[i % len(orgs)], appid=f"2099{i:012d}", name=name, name_key=name_key(name))
        for i, name in enumerate(names))
