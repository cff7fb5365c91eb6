"""List the SQL queries of a signed-in console page: the dashboard and the members list (a plain page).

    python bench/page_queries.py            # counts and every query, on a throwaway SQLite database
    BENCH_QUIET=1 python bench/page_queries.py   # counts only

The owner of one organisation and one program, signed in without a second factor, opens each page
once to warm up and once under CaptureQueriesContext.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import os  # noqa: E402
import tempfile  # noqa: E402

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-page-queries-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> int:
    from console.models import Membership, Organisation, User
    from console.roles import Role
    from programs.models import MiniProgram

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        owner = User.objects.create_user(email="pages@example.com", password="x")
        org = Organisation.objects.create(slug="pages", name="Pages")
        Membership.objects.create(organisation=org, user=owner, role=Role.OWNER)
        program = MiniProgram.objects.create(appid="2099000000000002", organisation=org, name="Pages")
        client = Client()
        client.force_login(owner)
        pages = {"dashboard": f"/orgs/{org.slug}/programs/{program.appid}/stats/",
                 "members": f"/orgs/{org.slug}/members/"}
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            print(f"{name}: {len(captured)} queries")
            if not os.environ.get("BENCH_QUIET"):
                for query in captured.captured_queries:
                    print(f"  {query['sql'][:220]}")
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
