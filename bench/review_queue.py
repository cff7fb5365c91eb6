"""Benchmark the review queue with 10,000 waiting versions: the page and the API, page 1 and filtered pages.

    python bench/review_queue.py                                      # a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/review_queue.py   # creates and drops test_x

Nothing touches a real database: with SQLite the script works under a temporary VAR_DIR, with
DATABASE_URL it creates Django's test database next to the named one and drops it afterwards.
Prints, for each request, the median wall time over RUNS requests (after a warm-up) and its query
count. Targets: median under 150 ms; the query count the same for 10 and 50 rows a page.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path; keep sibling scripts from shadowing modules.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import hashlib  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
from datetime import timedelta  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-queue-"))
# The test settings: plain static files (no collectstatic), a local-memory cache and eager Celery.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import queue_pages  # noqa: E402

WAITING = int(os.environ.get("BENCH_WAITING", 10_000))
ORGS = 200
RUNS = int(os.environ.get("BENCH_RUNS", 15))
TARGET_MS = 150
CATEGORY_CODES = ["tools", "games", "travel", "education", "life-services", "social", "entertainment"]
HOST_SETS = [[], ["alipay"], ["alipay", "weibo"], ["weibo"], ["taobao", "tmall"]]


def _report(rng: random.Random, risk: int) -> dict:
    files = {f"pages/p{i}/index.js": rng.randint(200, 9000) for i in range(12)}
    return {"dialect": "alipay", "errors": 0, "warnings": 0, "notices": 0, "findings": [],
            "risk": {"score": risk, "breakdown": []}, "permissions": [], "domains": ["api.example.com"],
            "files": {p: {"size": s, "sha256": hashlib.sha256(p.encode()).hexdigest()} for p, s in files.items()},
            "sizes": {"main": sum(files.values()), "subpackages": {}, "full": sum(files.values())}}


def seed() -> object:
    """WAITING versions in review (one per program), a released version for a third of the programs,
    300 claims held by other reviewers; returns the reviewer who reads the queue."""
    from console.models import Membership, Organisation, User
    from console.roles import Role, StaffGroup
    from programs.models import Category, MiniProgram, Version
    from reviews.models import ReviewClaim

    rng = random.Random(7)
    now = timezone.now()
    reviewers = Group.objects.get(name=StaffGroup.REVIEWERS)
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Bench Org {i:03d}", slug=f"bench-org-{i:03d}", verified=i % 3 == 0) for i in range(ORGS))
    programs = queue_pages.bench_programs(orgs, WAITING)
    categories = {c.code: c for c in Category.objects.filter(code__in=CATEGORY_CODES)}
    through = MiniProgram.categories.through
    through.objects.bulk_create(
        through(miniprogram_id=p.pk, category_id=categories[code].pk)
        for n, p in enumerate(programs) for code in {CATEGORY_CODES[n % 7], CATEGORY_CODES[(n * 3) % 7]})
    waiting = []
    for n, program in enumerate(programs):
        risk = rng.choice([0, 0, 2, 5, 10, 10, 20, 30, 45, 60, 90])
        submitted = now - timedelta(minutes=rng.randint(10, 60 * 24 * 10))
        codes = sorted({CATEGORY_CODES[n % 7], CATEGORY_CODES[(n * 3) % 7]})
        waiting.append(Version(
            program=program, version="1.1.0", sort_key=[1, 1, 0, 0, 1], status=Version.Status.IN_REVIEW,
            package=f"packages/{program.appid}/x.zip", package_sha256=f"{n:064d}", package_size=40_000,
            scan_report=_report(rng, risk), risk_score=risk, submitted_at=submitted,
            review_due_at=submitted + timedelta(days=3), expedited=n % 20 == 0,
            submitted_metadata={"categories": codes, "domains": {"request": ["https://api.example.com"]}}))
        if n % 3 == 0:
            waiting.append(Version(
                program=program, version="1.0.0", sort_key=[1, 0, 0, 0, 1], status=Version.Status.RELEASED,
                package=f"packages/{program.appid}/y.zip", package_sha256=f"{n:063d}r", package_size=38_000,
                scan_report=_report(rng, 5), risk_score=5, approved_hosts=HOST_SETS[n % len(HOST_SETS)],
                released_at=now - timedelta(days=30)))
    Version.objects.bulk_create(waiting, batch_size=2000)
    others = User.objects.bulk_create(User(email=f"rev{i}@bench.test") for i in range(100))
    reviewers.user_set.add(*others)
    in_review = list(Version.objects.filter(status=Version.Status.IN_REVIEW).values_list("pk", flat=True)[:300])
    ReviewClaim.objects.bulk_create(
        ReviewClaim(version_id=pk, reviewer=others[i // 3], expires_at=now + timedelta(minutes=10))
        for i, pk in enumerate(in_review))
    reader = User.objects.create_user(email="reader@bench.test", password="bench-pass-123")
    reviewers.user_set.add(reader)
    Membership.objects.create(organisation=orgs[0], user=reader, role=Role.DEVELOPER)  # their own org is hidden
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as autovacuum keeps them on a live database
    return reader


REQUESTS = [
    ("page 1", "/reviews/"),
    ("page 1, 10 rows/page*", "/reviews/"),
    ("page 100", "/reviews/?page=100"),
    ("filtered page", "/reviews/?category=games&host=weibo&risk_max=40&age=2"),
    ("org search", "/reviews/?org=org+05&sort=risk"),
    ("API page 1", "/api/v1/reviews/queue/"),
    ("API page 1, page_size=10", "/api/v1/reviews/queue/?page_size=10"),
    ("API filtered", "/api/v1/reviews/queue/?category=games&host=weibo&risk_max=40&age=2"),
]


def main() -> int:
    return queue_pages.run(seed, f"{WAITING:,} waiting versions", REQUESTS, "REVIEW_QUEUE_PAGE_SIZE", RUNS, TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
