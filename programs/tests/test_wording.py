"""Counts of findings read right: "1 error", not "1 errors", in the timeline and the scan notification."""

import pytest
from django.utils import timezone

from console.models import Notification
from programs.notifications import notify_scan_finished
from programs.tests.factories import MiniProgramFactory, VersionFactory
from programs.views.lifecycle import _describe_scan
from programs.wording import finding_counts

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("errors", "warnings", "notices", "text"), [
    (1, 1, 1, "1 error, 1 warning, 1 notice"),
    (2, 0, 3, "2 errors, 0 warnings, 3 notices"),
])
def test_finding_counts_use_the_singular_for_one(errors, warnings, notices, text):
    assert str(finding_counts(errors=errors, warnings=warnings, notices=notices)) == text


def test_the_timeline_says_one_error_and_one_warning():
    assert _describe_scan({"status": "scan_failed", "errors": 1, "warnings": 1})[2] == "1 error, 1 warning"
    assert _describe_scan({"status": "ready", "warnings": 1, "risk": 5})[2] == "1 warning · risk 5"


def test_the_scan_notification_says_one_error(org, owner):
    version = VersionFactory(program=MiniProgramFactory(organisation=org), status="scan_failed", errors=1,
                             warnings=2, notices=1, scan_finished_at=timezone.now())
    notify_scan_finished(version)
    assert Notification.objects.filter(body="1 error, 2 warnings, 1 notice.").exists()


def test_the_counts_are_in_the_readers_language_not_the_one_active_when_built(org, owner):
    """A Chinese walk: "2 errors，0 warnings，1 notice。" — the counts were translated when the notification was
    built (the worker's English), the commas when it was rendered for the Chinese recipient."""
    from django.utils import translation

    counts = finding_counts(errors=2, warnings=0, notices=1)  # built in English
    with translation.override("zh-hans"):
        chinese = str(counts)
    assert "error" not in chinese and "warning" not in chinese and "notice" not in chinese
    assert "2" in chinese and "，" in chinese

    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    version = VersionFactory(program=MiniProgramFactory(organisation=org), status="scan_failed", errors=2,
                             warnings=0, notices=1, scan_finished_at=timezone.now())
    notify_scan_finished(version)
    body = Notification.objects.get(user=owner).body
    assert "error" not in body and "warning" not in body, body
