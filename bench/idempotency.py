"""What an `Idempotency-Key` costs an API write, and what a replay costs.

    python bench/idempotency.py                                            # a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/x python bench/idempotency.py   # creates and drops test_x

In-process (Django's test client, an API key with its rate lifted, DEBUG off), the same PATCH of a program's description sent
BENCH_WRITES times (300) three ways, median server time of each:
1. without the header;
2. each with a new key: the key is recorded, and the answer kept (sealed) with the write, in one transaction;
3. again with a key already answered: the kept answer is unsealed and sent back, nothing is written.
Prints the medians and the ratios to the first.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-idempotency-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment(debug=False)

WRITES = int(os.environ.get("BENCH_WRITES", 300))


def timed(send) -> float:
    started = time.perf_counter()
    response = send()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content
    return elapsed


def main() -> int:
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from rest_framework.test import APIClient

        from console.authentication import ApiKeyRateThrottle
        from console.models import Organisation, User
        from console.roles import Role, scopes_for_role
        from console.services import api_key_create, organisation_create
        from programs.models import MiniProgram

        owner = User.objects.create_user(email="bench@example.com", password="bench-pass-123")
        org: Organisation = organisation_create(user=owner, name="Bench")
        program = MiniProgram.objects.create(organisation=org, appid="2099000000000003", name="Bench")
        _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="bench", scopes=scopes_for_role(Role.OWNER))
        ApiKeyRateThrottle.rate = "1000000/minute"  # the per-key rate (600 a minute) would stop the run, not time it
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        url = f"/api/v1/programs/{program.appid}/"

        def patch(n: int, key: str | None = None):
            headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
            return api.patch(url, {"description": f"Version {n}"}, format="json", **headers)

        for n in range(20):  # warm the caches and the URLconf
            patch(n)
        plain = [timed(lambda n=n: patch(n)) for n in range(WRITES)]
        keyed = [timed(lambda n=n: patch(n, key=f"write-{n}")) for n in range(WRITES)]
        replayed = [timed(lambda n=n: patch(n, key=f"write-{n}")) for n in range(WRITES)]

        base = statistics.median(plain)
        print(f"{connection.vendor}: {WRITES:,} PATCHes of a program each way, median server time (ms)")
        for label, times in (("without a key", plain), ("with a new key (recorded, answer kept)", keyed),
                             ("replayed (answer unsealed, nothing written)", replayed)):
            median = statistics.median(times)
            print(f"  {label:<48} {median:7.2f}  {median / base:5.2f}×")
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
