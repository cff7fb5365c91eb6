"""The demo data agrees with itself: what `make run` shows was made by the product's own services.

Every demo version's stored package, scan report, risk score, domains, submission history and due date
are checked against one another (and the review page against the program's decisions), the way a
curious reviewer would cross-check them on the pages. Each check collects every disagreement it finds,
so a failure lists them all.
"""

import hashlib
import io
import zipfile
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from console.models import AuditEvent, User
from programs.models import MiniProgram, Version
from programs.releases import review_due_at
from programs.scanning import FINDING_CODES, RISK_SIGNALS
from programs.scanning.domains import is_allowed, parse_netloc
from programs.scanning.risk import FREE_DOMAINS, MAX_DOMAIN_MULTIPLIER
from reviews.models import ReviewDecision, ReviewMessage

S = Version.Status
# A service writes a field, then its audit event a moment later (the same call, milliseconds apart).
SAME_CALL = timedelta(seconds=1)
FIRST_REVIEW = "No earlier decisions: this is the program's first review."  # reviews/includes/history.html
RELEASED_ONCE = (S.RELEASED, S.PHASED, S.SUPERSEDED, S.ROLLED_BACK)


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("demo_data", "--without-traffic", stdout=StringIO())  # versions, reviews and history: no stats
    return timezone.now()  # when the load finished: nothing in it may be later


def _versions():
    return list(Version.objects.select_related("program__organisation").order_by("program__name", "sort_key"))


def _label(version) -> str:
    return f"{version.program.name} {version.version}"


def _stored(version) -> bytes:
    with version.package.open("rb") as package:
        return package.read()


def _package_problems(version) -> list[str]:
    """The stored file is the uploaded package: its size and hash, and the files the scan reported."""
    data = _stored(version)
    problems = []
    if len(data) != version.package_size:
        problems.append(f"{_label(version)}: package_size {version.package_size}, stored file {len(data)} bytes")
    if hashlib.sha256(data).hexdigest() != version.package_sha256:
        problems.append(f"{_label(version)}: stored file's sha256 is not package_sha256")
    upload = _event(version, "version.upload")
    if upload is None or (upload.after["size"], upload.after["sha256"]) != (version.package_size,
                                                                            version.package_sha256):
        problems.append(f"{_label(version)}: no upload event records this package")
    if not version.scan_report:
        return problems
    # The report lists each member of the archive (uncompressed), so its sizes sum to the archive's content.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: {"size": info.file_size, "sha256": hashlib.sha256(archive.read(info)).hexdigest()}
                       for info in archive.infolist() if not info.is_dir()}
    except zipfile.BadZipFile:
        return [*problems, f"{_label(version)}: the stored package is not a zip archive"]
    reported = {path: {"size": entry["size"], "sha256": entry["sha256"]}
                for path, entry in version.scan_report["files"].items()}
    if reported != members:
        problems.append(f"{_label(version)}: the scan report's files are not the stored archive's "
                        f"({sum(e['size'] for e in reported.values())} vs {sum(e['size'] for e in members.values())} "
                        "bytes)")
    return problems


def _registered_weight(code: str, report: dict) -> int:
    if code == "signal.many_domains":  # per domain beyond the free ones, capped
        return RISK_SIGNALS[code].weight * min(len(report["domains"]) - FREE_DOMAINS, MAX_DOMAIN_MULTIPLIER)
    return (RISK_SIGNALS[code] if code in RISK_SIGNALS else FINDING_CODES[code]).weight


def _risk_problems(version) -> list[str]:
    """The score is the sum of its breakdown, each weighted finding is in it, and the counts match the findings."""
    report, label = version.scan_report, _label(version)
    if not report:
        return []
    problems = []
    breakdown = report["risk"]["breakdown"]
    if not version.risk_score == report["risk"]["score"] == sum(item["weight"] for item in breakdown):
        problems.append(f"{label}: risk {version.risk_score}, report {report['risk']['score']}, "
                        f"breakdown sums to {sum(item['weight'] for item in breakdown)}")
    found = {finding["code"] for finding in report["findings"]}
    weighted = {code for code in found if FINDING_CODES[code].weight}
    listed = {item["code"] for item in breakdown if not item["code"].startswith("signal.")}
    if weighted != listed:
        problems.append(f"{label}: weighted findings {sorted(weighted)}, breakdown lists {sorted(listed)}")
    for item in breakdown:
        if item["weight"] != _registered_weight(item["code"], report):
            problems.append(f"{label}: {item['code']} weighs {item['weight']}, not its registered weight")
    severities = [finding["severity"] for finding in report["findings"]]
    counts = (severities.count("error"), severities.count("warning"), severities.count("notice"))
    if counts != (version.errors, version.warnings, version.notices):
        problems.append(f"{label}: findings count {counts}, the version says "
                        f"{(version.errors, version.warnings, version.notices)}")
    if (version.status == S.SCAN_FAILED) != bool(version.errors):
        problems.append(f"{label}: {version.status} with {version.errors} errors")
    return problems


def _allowlist(version) -> dict[str, list[str]]:
    """The program's server domains when the version was submitted (as kept with it), else now."""
    if version.submitted_metadata:
        return version.submitted_metadata["domains"]
    return version.program.domains()


def _domain_problems(version) -> list[str]:
    """Each domain the code talks to is on the program's allowlist or has a network finding naming it."""
    report = version.scan_report
    if not report:
        return []
    allowed = [entry for entries in _allowlist(version).values() for entry in entries]
    network = [finding["message"] for finding in report["findings"] if finding["code"].startswith("network.")]
    problems = []
    for domain in report["domains"]:
        declared = is_allowed(parse_netloc(domain), allowed, exact=version.dialect == "wechat")
        flagged = any(domain in message for message in network)
        if not declared and not flagged:
            problems.append(f"{_label(version)}: {domain} is neither declared nor flagged")
        if declared and flagged:
            problems.append(f"{_label(version)}: {domain} is declared yet flagged")
    return problems


def _event(version, action) -> AuditEvent | None:
    return (AuditEvent.objects.filter(action=action, target_type="programs.version", target_id=str(version.pk))
            .order_by("-created_at").first())


def _history_problems(version, loaded) -> list[str]:
    """Submitted, due and decided as the services wrote them, in an order that could have happened."""
    label, problems = _label(version), []
    program = version.program
    if not program.organisation.created_at <= program.created_at <= version.created_at <= loaded:
        problems.append(f"{label}: created before its program or organisation, or after the load")
    if version.scan_finished_at and not version.created_at <= version.scan_finished_at:
        problems.append(f"{label}: scanned before it was uploaded")
    if version.submitted_at is None:
        return problems
    submitted = _event(version, "version.submit")
    if submitted is None or not version.submitted_at <= submitted.created_at < version.submitted_at + SAME_CALL:
        problems.append(f"{label}: submitted_at {version.submitted_at}, submit event "
                        f"{submitted.created_at if submitted else None}")
    if version.scan_finished_at and version.submitted_at < version.scan_finished_at:
        problems.append(f"{label}: submitted before its scan finished")
    decisions = list(ReviewDecision.objects.filter(version=version, dry_run=False).order_by("created_at"))
    if any(decision.created_at < version.submitted_at for decision in decisions):
        problems.append(f"{label}: decided before it was submitted")
    if version.released_at and not (decisions and decisions[-1].created_at <= version.released_at):
        problems.append(f"{label}: released without an approval before it")
    problems += _due_problems(version, decisions)
    return problems


def _due_problems(version, decisions) -> list[str]:
    """The due date the submission computed from its own time, or, after an answer, the time left then."""
    if version.status != S.IN_REVIEW:
        return []
    due = review_due_at(version.submitted_at, expedited=version.expedited)
    asked = [decision for decision in decisions if decision.kind == ReviewDecision.Kind.REQUEST_CHANGES]
    if asked and not version.awaiting_developer:  # answered: the clock resumed with what was left
        answer = (ReviewMessage.objects.filter(version=version, from_reviewer=False, created_at__gt=asked[-1].created_at)
                  .order_by("created_at").first())
        due = answer.created_at + (due - asked[-1].created_at)
    if abs(version.review_due_at - due) >= SAME_CALL:
        return [f"{_label(version)}: due {version.review_due_at}, its submission makes it {due}"]
    return []


def test_every_demo_version_agrees_with_its_package_scan_and_history(demo):
    versions = _versions()
    assert len(versions) >= 15
    problems = []
    for version in versions:
        problems += _package_problems(version) + _risk_problems(version) + _domain_problems(version)
        problems += _history_problems(version, demo)
    assert problems == []


def test_the_demo_queue_has_its_scenarios_with_due_dates_from_their_submissions(demo):
    waiting = {v.program.name: v for v in Version.objects.filter(status=S.IN_REVIEW).select_related("program")}
    now = timezone.now()

    assert waiting["Night Market"].review_due_at < now  # overdue
    assert waiting["Night Market"].risk_score >= 50
    assert waiting["Tea Timer"].expedited and now < waiting["Tea Timer"].review_due_at
    assert waiting["Street Food"].expedited
    assert waiting["Metro Card"].awaiting_developer
    assert waiting["Harbour Ferry"].review_messages.filter(from_reviewer=False).exists()
    tea_before = Version.objects.get(program__name="Tea Timer", version="1.0.0").scan_report
    tea_after = waiting["Tea Timer"].scan_report
    assert set(tea_after["permissions"]) - set(tea_before["permissions"])  # a new permission
    assert set(tea_after["domains"]) - set(tea_before["domains"])  # a new domain
    assert {v.status for v in Version.objects.filter(program__name="City Bikes")} == {
        S.SUPERSEDED, S.RELEASED, S.ROLLED_BACK, S.PHASED, S.READY, S.SCAN_FAILED}
    assert Version.objects.get(program__name="Parking Spot").status == S.APPROVED
    assert Version.objects.get(program__name="Clinic Booking").status == S.UPLOADED  # left for the worker


def test_the_review_page_calls_it_a_first_review_only_when_nothing_was_released(demo, client):
    reviewer = User.objects.get(email="reviewer@example.com")
    client.force_login(reviewer)
    checked = set()
    for version in Version.objects.filter(status=S.IN_REVIEW).select_related("program"):
        body = client.get(reverse("review_detail", args=[version.pk])).content.decode()
        released = version.program.versions.filter(status__in=RELEASED_ONCE).exists()
        decided = ReviewDecision.objects.filter(version__program=version.program).exists()
        assert (FIRST_REVIEW in body) == (not decided), version.program.name
        if released:
            assert FIRST_REVIEW not in body, version.program.name
        checked.add((version.program.name, released))
    assert ("Lucky Draw", True) in checked and ("Tea Timer", True) in checked
    assert ("Night Market", False) in checked


def test_the_demo_programs_belong_to_their_organisations_only(demo):
    names = dict(MiniProgram.objects.values_list("name", "organisation__slug"))
    assert names["Tea Timer"] == "riverside-labs"
    assert names["Night Market"] == names["Metro Card"] == "other-org"
    assert names["City Bikes"] == names["Harbour Ferry"] == "demo-studio"
