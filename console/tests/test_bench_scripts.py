"""The bench scripts still run: each at a tiny size, on a throwaway SQLite database (upload_latency.py and
gate.py, which start servers and workers, are left to `make bench`).

They are not timed here (their figures mean something only at full size, on a quiet machine), but a
script that no longer runs measures nothing: the two queue benches broke unnoticed when programs gained
their look-alike key and staff their second factor. Without DATABASE_URL each script makes its own
SQLite database under its own VAR_DIR; with it, a script would create `test_<name>`, the very database
this suite runs in, so it is dropped from their environment.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# They make their own SQLite database whatever the suite runs on: once is enough (.ci/run's second pass).
pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="the bench scripts run on SQLite whatever the suite's database; "
                                       "the SQLite run of the suite runs them")

SCRIPTS = {
    "review_queue.py": {"BENCH_WAITING": "300", "BENCH_RUNS": "1"},
    "distribution_queue.py": {"BENCH_PENDING": "300", "BENCH_RUNS": "1"},
    "ingest.py": {"BENCH_EVENTS": "2000", "BENCH_SINGLE": "20"},
    "dashboard.py": {"BENCH_SIZES": "1000,2000", "BENCH_USERS": "200", "BENCH_RUNS": "2", "BENCH_DISTINCT_RUNS": "1"},
    "code_viewer.py": {},
    "page_queries.py": {"BENCH_QUIET": "1"},
    "scan.py": {},
    "idempotency.py": {"BENCH_WRITES": "5"},
}
# A line each prints only once it has measured.
FIGURES = {
    "review_queue.py": "slowest median",
    "distribution_queue.py": "slowest median",
    "ingest.py": "ours ÷ one-per-request",
    "dashboard.py": "uniques",
    "code_viewer.py": "content diff",
    "page_queries.py": "queries",
    "scan.py": "zip bomb refused",
    "idempotency.py": "replayed",
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_bench_script_runs_at_a_tiny_size(script, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SCRIPTS[script], VAR_DIR=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, f"bench/{script}"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=300)

    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: a target missed, which a tiny run may
    assert FIGURES[script] in result.stdout, result.stdout[-3000:]
