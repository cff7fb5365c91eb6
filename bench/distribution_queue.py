"""Benchmark the operators' distribution queue with 10,000 pending requests: the page and the API.

    python bench/distribution_queue.py                                      # a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/distribution_queue.py   # creates and drops test_x

As bench/review_queue.py: Django's test database, median wall time over RUNS requests after a warm-up,
and the query count. Targets: median under 150 ms; the same query count for 10 and 50 rows a page.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import os  # noqa: E402
import tempfile  # noqa: E402
from datetime import timedelta  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-dist-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")  # plain static, local cache, eager

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import queue_pages  # noqa: E402

PENDING = int(os.environ.get("BENCH_PENDING", 10_000))
ORGS = 200
RUNS = int(os.environ.get("BENCH_RUNS", 15))
TARGET_MS = 150
CATEGORY_CODES = ["tools", "games", "travel", "education", "life-services", "social", "entertainment"]
SCENES = ["weibo.profile", "weibo.feed", "weibo.hot_search", "weibo.lottery", "alipay.hot_search"]


def seed():
    from console.models import Organisation, User
    from console.roles import StaffGroup
    from distribution.models import EvidenceFile, WhitelistRequest
    from hosts.models import Host, Scene
    from programs.models import Category, MiniProgram

    now = timezone.now()
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Bench Org {i:03d}", slug=f"bench-org-{i:03d}", verified=i % 3 == 0) for i in range(ORGS))
    programs = queue_pages.bench_programs(orgs, PENDING)
    categories = {c.code: c for c in Category.objects.filter(code__in=CATEGORY_CODES)}
    through = MiniProgram.categories.through
    through.objects.bulk_create(through(miniprogram_id=p.pk, category_id=categories[CATEGORY_CODES[n % 7]].pk)
                                for n, p in enumerate(programs))
    scenes = [Scene.objects.get(code=code) for code in SCENES]
    requests = WhitelistRequest.objects.bulk_create(
        (WhitelistRequest(program=p, scene=scenes[n % len(scenes)], justification="bench",
                          created_at=now - timedelta(minutes=n)) for n, p in enumerate(programs)), batch_size=2000)
    EvidenceFile.objects.bulk_create(
        (EvidenceFile(request=r, file="x.pdf", original_name="x.pdf", content_type="application/pdf", size=10)
         for r in requests[::4]), batch_size=2000)
    reader = User.objects.create_user(email="ops@bench.test", password="bench-pass-123")
    Group.objects.get(name=StaffGroup.OPERATORS).user_set.add(reader)
    for host in Host.objects.filter(code__in=["weibo", "alipay"]):
        host.operators.add(reader)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return reader


REQUESTS = [
    ("page 1", "/distribution/queue/"),
    ("page 1, 10 rows/page*", "/distribution/queue/"),
    ("page 100", "/distribution/queue/?page=100"),
    ("filtered page", "/distribution/queue/?host=weibo&scene=weibo.feed&category=travel&age=2"),
    ("org search", "/distribution/queue/?org=org+05"),
    ("API page 1", "/api/v1/distribution/queue/"),
    ("API page 1, page_size=10", "/api/v1/distribution/queue/?page_size=10"),
]


def main() -> int:
    return queue_pages.run(seed, f"{PENDING:,} pending requests", REQUESTS, "DISTRIBUTION_QUEUE_PAGE_SIZE", RUNS, TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
