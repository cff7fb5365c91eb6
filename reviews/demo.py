"""Demo data for reviewers: versions waiting in the queue with a diff worth reading, past decisions, a thread.

Runs after programs' demo (INSTALLED_APPS order) and only adds programs of its own, by name, so that it
never collides with what programs' demo creates; each scenario is skipped when its program exists
(idempotent). Everything goes through the real services (submit, decide, release, messages), so the
history, audit events and notifications are those a real review leaves. The packages are small
placeholders with synthetic scan reports: no scan runs.
"""

import hashlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from console.models import Organisation
from console.services import organisation_create, organisation_set_verified
from programs.models import Category, MiniProgram, Version
from programs.releases import version_release, version_submit
from programs.services import program_create, program_update, version_sort_key
from reviews.services import review_approve, review_message_post, review_reject, review_request_changes

S = Version.Status
API = {"request": ["https://api.teatimer.example.com"]}


def _report(files: dict[str, int], *, permissions=(), domains=(), risk=4, warnings=()) -> dict:
    findings = [{"code": code, "severity": "warning", "message": message, "file": file, "line": None, "column": None}
                for code, message, file in warnings]
    return {
        "dialect": "alipay", "errors": 0, "warnings": len(findings), "notices": 0, "findings": findings,
        "sizes": {"main": sum(files.values()), "subpackages": {}, "full": sum(files.values()),
                  "limits": {"main": 2 * 1024 * 1024, "subpackage": 2 * 1024 * 1024, "full": 8 * 1024 * 1024}},
        "risk": {"score": risk, "breakdown": [{"code": "signal.location", "weight": risk,
                                               "reason": "Uses or declares location APIs."}] if risk else []},
        "files": {path: {"size": size, "sha256": hashlib.sha256(f"{path}:{size}".encode()).hexdigest()}
                  for path, size in files.items()},
        "permissions": list(permissions), "domains": list(domains), "duration_ms": 180,
    }


def _version(program: MiniProgram, number: str, report: dict, actor, description: str) -> Version:
    """A scanned development version (ready), as if uploaded and scanned."""
    data = f"demo package {program.appid} {number}".encode()
    version = Version(
        program=program, version=number, sort_key=version_sort_key(number), description=description,
        status=S.READY, package_sha256=hashlib.sha256(data).hexdigest(), package_size=len(data), uploaded_by=actor,
        scan_report=report, scan_progress=100, scan_stage="done", scan_finished_at=timezone.now(),
        dialect="alipay", warnings=report["warnings"], risk_score=report["risk"]["score"],
    )
    version.package.save("package.zip", ContentFile(data), save=False)
    version.save()
    return version


def _age(version: Version, *, submitted_ago: timedelta, due_in: timedelta) -> None:
    """Move a fresh submission back in time, so the queue shows waiting and overdue versions."""
    now = timezone.now()
    Version.objects.filter(pk=version.pk).update(submitted_at=now - submitted_ago, review_due_at=now + due_in)


def _categories(*codes) -> list[Category]:
    return list(Category.objects.filter(code__in=codes))


def _exists(name: str) -> bool:
    return MiniProgram.objects.filter(name=name, deleted_at=None).exists()


def _riverside(demo) -> Organisation:
    org = Organisation.objects.filter(slug="riverside-labs").first()
    if org is None:
        org = organisation_create(user=demo.users["outsider"], name="Riverside Labs", kind=Organisation.Kind.ENTERPRISE)
        Organisation.objects.filter(pk=org.pk).update(slug="riverside-labs")
        org.refresh_from_db()
        organisation_set_verified(org=org, actor=demo.users["admin"], verified=True)
    return org


FILES_1 = {"app.json": 812, "app.js": 2300, "pages/index/index.axml": 1900, "pages/index/index.js": 5400,
           "pages/index/index.acss": 1200, "images/logo.png": 14800}


def _tea_timer(demo, org) -> None:
    """An update with a new permission, a new domain and a new category: the diff has something to say."""
    owner, reviewer = demo.users["outsider"], demo.users["reviewer"]
    program = program_create(org=org, actor=owner, name="Tea Timer", categories=_categories("tools"),
                             slogan="Steep it right", description="Timers for every kind of tea.",
                             privacy_policy_url="https://teatimer.example.com/privacy", domains=API)
    first = _version(program, "1.0.0", _report(FILES_1, domains=["api.teatimer.example.com"], risk=0), owner,
                     "First release")
    first = version_submit(version=first, actor=owner, notes="Nothing to log in to.")
    review_approve(version=first, reviewer=reviewer, text="Clean and simple.")
    version_release(version=first, actor=owner)
    program_update(program=program, actor=owner, categories=_categories("tools", "life-services"),
                   domains={"request": [*API["request"], "https://maps.example.net"]})
    files = {**FILES_1, "pages/index/index.js": 7100, "pages/shops/shops.axml": 2600, "pages/shops/shops.js": 8800}
    files.pop("images/logo.png")
    files["images/logo.webp"] = 6200
    update = _version(program, "1.1.0", _report(files, permissions=["scope.userLocation"], risk=10,
                                                domains=["api.teatimer.example.com", "maps.example.net"],
                                                warnings=[("privacy.unused", "scope.camera is declared "
                                                           "but never used.", "app.json")]),
                      owner, "Find tea shops near you")
    update = version_submit(version=update, actor=owner, expedited=True, test_account="demo / tea-1234",
                   notes="The shop finder asks for the location once, on its own page.")
    _age(update, submitted_ago=timedelta(hours=3), due_in=timedelta(hours=9))


def _night_market(demo, org) -> None:
    """A first release, overdue, with a high risk score."""
    owner = demo.users["outsider"]
    program = program_create(org=org, actor=owner, name="Night Market", categories=_categories("life-services"),
                             slogan="Street food after dark", description="Find the night market's stalls and pay.",
                             privacy_policy_url="https://nightmarket.example.com/privacy",
                             domains={"request": ["https://api.nightmarket.example.com"]})
    version = _version(program, "0.9.0", _report(
        {**FILES_1, "vendor/sdk.min.js": 182000}, permissions=["scope.userLocation", "getPhoneNumber"],
        domains=["api.nightmarket.example.com", "cdn.example.org", "track.example.io", "ads.example.biz",
                 "img.example.org"], risk=55,
        warnings=[("code.minified", "vendor/sdk.min.js looks minified and has no source map.",
                   "vendor/sdk.min.js")]), owner, "First public version")
    version = version_submit(version=version, actor=owner, notes="The vendor SDK is our payment partner's.")
    _age(version, submitted_ago=timedelta(days=4), due_in=-timedelta(days=1))


def _harbour_ferry(demo, org) -> None:
    """A program with a rejected version and a thread; its next version was asked for changes and answered."""
    owner, reviewer = demo.users["developer"], demo.users["reviewer"]
    program = program_create(org=org, actor=owner, name="Harbour Ferry", categories=_categories("travel"),
                             slogan="Tickets and timetables", description="Ferry tickets and timetables.",
                             domains={"request": ["https://api.ferry.example.com"]},
                             privacy_policy_url="https://ferry.example.com/privacy")
    rejected = _version(program, "1.0.0", _report(FILES_1, domains=["api.ferry.example.com"], risk=12), owner,
                        "Timetables")
    rejected = version_submit(version=rejected, actor=owner)
    review_reject(version=rejected, reviewer=reviewer, reasons=["test-account-missing", "unstable"],
                  text="The timetable page stays blank and we could not log in to buy a ticket.")
    review_message_post(version=rejected, author=owner, body="Sorry: the API was down that day. Fixed in 1.0.1.")
    version = _version(program, "1.0.1", _report({**FILES_1, "pages/tickets/tickets.js": 9100},
                                                 domains=["api.ferry.example.com"], risk=12), owner, "Ticket fixes")
    version = version_submit(version=version, actor=owner, test_account="ferry-demo / sea-2025")
    review_request_changes(version=version, reviewer=reviewer, text="Which payment provider takes the ticket money?")
    review_message_post(version=version, author=owner, body="Alipay only, through the official payment API.")
    _age(version, submitted_ago=timedelta(days=2), due_in=timedelta(days=1))


def _metro_card(demo, org) -> None:
    """Waiting for its developer's answer: out of the queue."""
    owner, reviewer = demo.users["outsider"], demo.users["reviewer"]
    program = program_create(org=org, actor=owner, name="Metro Card", categories=_categories("travel"),
                             description="Top up the metro card and see the trips made.",
                             privacy_policy_url="https://metro.example.com/privacy",
                             domains={"request": ["https://api.metro.example.com"]})
    version = _version(program, "2.0.0", _report(FILES_1, domains=["api.metro.example.com"], risk=20), owner,
                       "Top up by NFC")
    version = version_submit(version=version, actor=owner)
    review_request_changes(version=version, reviewer=reviewer, text="Please add a test card number we can top up.")


def load(demo) -> None:
    riverside = _riverside(demo)
    studio, other = demo.orgs["studio"], demo.orgs["other"]
    for name, build, org in [("Tea Timer", _tea_timer, riverside), ("Night Market", _night_market, other),
                             ("Harbour Ferry", _harbour_ferry, studio), ("Metro Card", _metro_card, other)]:
        if not _exists(name):
            build(demo, org)
    demo.orgs["riverside"] = riverside
    waiting = Version.objects.filter(status=S.IN_REVIEW, awaiting_developer=False).count()
    demo.lines.append(f"Review queue: {waiting} versions waiting (sign in as reviewer@example.com)")
