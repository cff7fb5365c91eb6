"""Builders for the reviews tests: versions waiting in the queue, released versions, scan reports.

They build rows directly (no scan, no audit events); tests of a service call the service.
"""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from console.tests.factories import OrganisationFactory
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory, category
from reviews.models import ReviewClaim, ReviewDecision

S = Version.Status
DOMAINS = {"request": ["https://api.example.com"], "upload": [], "download": [], "socket": []}


def scan_report(*, files=None, permissions=(), domains=("api.example.com",), risk=5, warnings=0) -> dict:
    """A stored scan report as the worker writes it. `files`: {path: size} (sha256 derived from path and size)."""
    files = {"app.json": 120, "pages/index/index.js": 2048} if files is None else files
    return {
        "dialect": "alipay", "errors": 0, "warnings": warnings, "notices": 0,
        "findings": [{"code": "tabbar.icon_dimensions", "severity": "warning", "message": "Tab icon is not 81×81.",
                      "file": "images/tab.png", "line": None, "column": None}] * warnings,
        "sizes": {"main": sum(files.values()), "subpackages": {}, "full": sum(files.values()),
                  "limits": {"main": 2097152, "subpackage": 2097152, "full": 8388608}},
        "risk": {"score": risk, "breakdown": [{"code": "signal.location", "weight": risk, "reason": "Location"}]},
        "files": {path: {"size": size, "sha256": f"{path}:{size}"} for path, size in files.items()},
        "permissions": list(permissions), "domains": list(domains), "duration_ms": 12,
    }


def metadata(*, categories=("tools",), domains=None) -> dict:
    return {"categories": sorted(categories), "domains": domains if domains is not None else DOMAINS}


class WaitingVersionFactory(VersionFactory):
    """A version in review, waiting in the queue, submitted `age` ago (default one hour), of a new program of
    `org` (default a new organisation) filed under `categories`."""

    class Params:
        age = timedelta(hours=1)
        categories = ("tools",)
        org = None

    program = factory.LazyAttribute(lambda o: MiniProgramFactory(
        organisation=o.org or OrganisationFactory(), categories=[category(c) for c in o.categories]))
    status = S.IN_REVIEW
    submitted_at = factory.LazyAttribute(lambda o: timezone.now() - o.age)
    review_due_at = factory.LazyAttribute(lambda o: o.submitted_at and o.submitted_at + timedelta(days=3))
    risk_score = 5
    scan_report = factory.LazyAttribute(lambda o: scan_report(risk=o.risk_score))
    submitted_metadata = factory.LazyAttribute(lambda o: metadata(categories=o.categories))
    errors = 0


def released_version(program, **fields) -> Version:
    """The program's current release (by default with the same files and metadata as WaitingVersionFactory's)."""
    fields.setdefault("scan_report", scan_report())
    fields.setdefault("submitted_metadata", metadata())
    return VersionFactory(program=program, status=S.RELEASED, version=fields.pop("version", "0.9.0"),
                          submitted_at=timezone.now() - timedelta(days=30),
                          released_at=timezone.now() - timedelta(days=29), **fields)


class ClaimFactory(DjangoModelFactory):
    class Meta:
        model = ReviewClaim

    version = factory.SubFactory(WaitingVersionFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))


class DecisionFactory(DjangoModelFactory):
    class Meta:
        model = ReviewDecision

    version = factory.SubFactory(WaitingVersionFactory)
    kind = ReviewDecision.Kind.APPROVE
