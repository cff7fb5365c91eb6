"""The version page's lifecycle (where it is, history, next actions), the action POSTs and the Releases card."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from console.exceptions import Conflict
from console.models import AuditEvent, Membership
from console.panels import _SLOTS, VERSION_PAGE
from console.roles import Role
from console.services import audit_record
from console.tests.factories import AuditEventFactory, UserFactory
from programs import releases
from programs.lifecycle import version_transition
from programs.models import Version, Withdrawal
from programs.tests.factories import MiniProgramFactory, VersionFactory, category, scan_tasks

pytestmark = pytest.mark.django_db

S = Version.Status
VERSION_ACTIONS = ["version_rescan", "version_submit", "version_withdraw", "version_set_trial", "version_release", "version_raise",
                   "version_cancel_release"]
# What the version page offers a member who may write, by status.
OFFERED = {
    S.UPLOADED: set(), S.SCANNING: set(), S.SCAN_FAILED: {"version_rescan"},
    S.READY: {"version_submit", "version_set_trial"},
    S.IN_REVIEW: {"version_withdraw", "version_set_trial"},
    S.APPROVED: {"version_release", "version_set_trial"},
    S.REJECTED: {"version_set_trial"},
    S.PHASED: {"version_raise", "version_cancel_release"},
    S.RELEASED: set(), S.SUPERSEDED: set(), S.ROLLED_BACK: set(),
}


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="City Bikes")


def at(program, status, number="1.0.0", **fields) -> Version:
    return VersionFactory(program=program, version=number, status=status, **fields)


def url(name, org, version) -> str:
    return reverse(name, args=[org.slug, version.program.appid, version.version])


def page(client, org, version) -> str:
    response = client.get(url("version_detail", org, version))
    assert response.status_code == 200
    return response.content.decode()


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def followed(client, path, data=None):
    return client.post(path, data or {}, follow=True)


def fresh(version) -> Version:
    return Version.objects.get(pk=version.pk)


# ---------------------------------------------------------------- which actions show


@pytest.mark.parametrize("status", S.values)
def test_a_developer_sees_exactly_the_actions_the_status_allows(client_for, member, org, program, status):
    version = at(program, status, phased_percentage=10 if status == S.PHASED else None)

    html = page(client_for(member), org, version)

    shown = {name for name in VERSION_ACTIONS if f'action="{url(name, org, version)}"' in html}
    assert shown == OFFERED[status]
    assert ('id="next"' in html) == bool(OFFERED[status])


@pytest.mark.parametrize("status", [S.READY, S.IN_REVIEW, S.APPROVED, S.PHASED])
def test_a_viewer_sees_the_state_but_no_action(client_for, viewer, org, program, status):
    version = at(program, status, phased_percentage=10 if status == S.PHASED else None)

    html = page(client_for(viewer), org, version)

    assert not any(url(name, org, version) in html for name in VERSION_ACTIONS)
    assert "Where it is now" in html
    assert "Next steps" not in html


def test_the_trial_version_is_not_offered_to_become_the_trial_version_again(client_for, member, org, program):
    version = at(program, S.READY)
    program.trial_version = version
    program.save()

    html = page(client_for(member), org, version)

    assert url("version_set_trial", org, version) not in html
    assert "Trial version" in html  # the badge in the header


def test_submit_offers_the_expedited_quota_left(client_for, member, org, program, settings):
    settings.EXPEDITED_REVIEWS_PER_MONTH = 3
    used = VersionFactory(program=MiniProgramFactory(organisation=org), status=S.REJECTED, expedited=True,
                          submitted_at=timezone.now())
    AuditEventFactory(organisation=org, action="version.submit", target_type="version", target_id=str(used.pk),
                      after={"status": "in_review", "expedited": True})  # what the quota counts
    version = at(program, S.READY)

    html = page(client_for(member), org, version)

    assert "2 of 3 expedited reviews left this month" in html
    assert 'name="expedited" id="id_expedited">' in html  # enabled


def test_with_no_expedited_review_left_the_checkbox_is_disabled(client_for, member, org, program):
    org.expedited_reviews_per_month = 0
    org.save()

    html = page(client_for(member), org, at(program, S.READY))

    assert "0 of 0 expedited reviews left this month" in html
    assert 'name="expedited" id="id_expedited" disabled' in html


def test_submit_is_replaced_by_an_explanation_while_another_version_is_in_flight(client_for, member, org, program):
    at(program, S.APPROVED, number="1.0.0")
    version = at(program, S.READY, number="1.1.0")

    html = page(client_for(member), org, version)

    assert url("version_submit", org, version) not in html
    assert "Not yet: version 1.0.0 is in the pipeline (“Approved”)" in html
    assert f'href="{reverse("version_detail", args=[org.slug, program.appid, "1.0.0"])}"' in html


def test_submit_is_replaced_by_an_explanation_while_a_qualification_is_missing(client_for, member, org, program):
    program.categories.set([category("medical")])
    version = at(program, S.READY)

    html = page(client_for(member), org, version)

    assert url("version_submit", org, version) not in html
    assert "upload the qualification document for Medical" in html


def test_withdraw_shows_what_is_left_today_and_this_month(client_for, member, org, program):
    version = at(program, S.IN_REVIEW, number="2.0.0")
    Withdrawal.objects.create(program=program, version=at(program, S.READY, number="1.0.0"))

    html = page(client_for(member), org, version)

    assert "Withdrawals left: 4 today, 9 this month." in html
    assert "withdrawal limit is reached" not in html


def test_withdraw_is_disabled_at_the_daily_limit(client_for, member, org, program):
    version = at(program, S.IN_REVIEW, number="2.0.0")
    old = at(program, S.READY, number="1.0.0")
    for _ in range(5):
        Withdrawal.objects.create(program=program, version=old)

    html = page(client_for(member), org, version)

    assert "Withdrawals left: 0 today, 5 this month." in html
    assert "Withdraw submission</button>" in html
    assert 'type="submit" disabled>Withdraw submission' in html


def test_a_raise_offers_only_presets_above_the_current_percentage(client_for, member, org, program):
    version = at(program, S.PHASED, phased_percentage=25)

    html = page(client_for(member), org, version)

    assert [p for p in (10, 25, 50, 100) if f'name="preset" value="{p}"' in html] == [50, 100]
    assert 'min="26"' in html


def test_the_polled_partial_brings_the_next_actions_once_the_scan_is_done(client_for, member, org, program):
    version = at(program, S.READY)

    partial = client_for(member).get(url("version_progress", org, version)).content.decode()

    assert "<html" not in partial and "hx-trigger" not in partial
    assert f'action="{url("version_submit", org, version)}"' in partial
    assert 'name="csrfmiddlewaretoken"' in partial


def test_a_poll_that_brings_nothing_new_swaps_nothing(client_for, member, org, program):
    """The section was replaced every second while scanning: a keyboard user's focus fell to the page's top."""
    import re

    version = at(program, S.SCANNING, scan_progress=40, scan_stage="code")
    client = client_for(member)
    html = page(client, org, version)
    seen = re.search(r"hx-vals='\{&quot;seen&quot;: &quot;([^&]+)&quot;\}'|hx-vals='\{\"seen\": \"([^\"]+)\"\}'", html)
    seen = seen.group(1) or seen.group(2)
    assert 'role="status" data-announce="version-state"' in html and 'data-status-text="Scanning · 40%' in html

    assert client.get(url("version_progress", org, version), {"seen": seen}).status_code == 204
    Version.objects.filter(pk=version.pk).update(scan_progress=70)
    changed = client.get(url("version_progress", org, version), {"seen": seen})
    assert changed.status_code == 200 and 'data-status-text="Scanning · 70%' in changed.content.decode()


def test_a_first_release_offers_everyone_only(client_for, member, org, program):
    html = page(client_for(member), org, at(program, S.APPROVED))

    assert 'value="everyone" checked' in html and 'value="phased"' not in html
    assert "A first release goes to everyone" in html


# ---------------------------------------------------------------- where it is now


def test_in_review_shows_the_due_date_and_the_expedited_badge(client_for, member, org, program):
    due = timezone.now() + timedelta(hours=12)
    version = at(program, S.IN_REVIEW, expedited=True, submitted_at=timezone.now(), review_due_at=due,
                 submit_notes="Tap Spin", test_account="demo / 1234")

    html = page(client_for(member), org, version)

    assert "Waiting for a reviewer. Due by <strong>" in html
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in html
    assert "Expedited" in html
    assert "Tap Spin" in html and "demo / 1234" in html


def test_awaiting_the_developer_says_so(client_for, member, org, program):
    version = at(program, S.IN_REVIEW, awaiting_developer=True, review_due_at=timezone.now())

    html = page(client_for(member), org, version)

    assert "Awaiting your answer." in html
    assert "Waiting for a reviewer" not in html


def test_a_phased_release_shows_its_share_and_who_gets_what(client_for, member, org, program):
    at(program, S.RELEASED, number="1.0.0", released_at=timezone.now())
    version = at(program, S.PHASED, number="1.1.0", phased_percentage=20, released_at=timezone.now())

    response = client_for(member).get(url("version_detail", org, version))

    html = response.content.decode()
    assert 'aria-valuenow="20"' in html and "width: 20%" in html
    assert "Everyone else still gets 1.0.0." in html
    assert [s.label for s in response.context["steps"]][-1] == "Phased release · 20%"


@pytest.mark.parametrize("status, text", [
    (S.RELEASED, "Live: everyone gets this version"),
    (S.ROLLED_BACK, "cannot be released again"),
    (S.REJECTED, "The reasons are in the review thread"),
    (S.APPROVED, "Release it when you are ready"),
])
def test_each_status_says_what_it_means(client_for, viewer, org, program, status, text):
    html = page(client_for(viewer), org, at(program, status, released_at=timezone.now()))
    assert text in html


@pytest.mark.parametrize("status, last", [
    (S.READY, ("Released", "todo")), (S.REJECTED, ("Rejected", "failed")),
    (S.SUPERSEDED, ("Superseded", "current")), (S.ROLLED_BACK, ("Rolled back", "failed")),
    (S.RELEASED, ("Released", "current")), (S.SCAN_FAILED, ("Scan failed", "failed")),
])
def test_the_strip_ends_where_the_version_left_the_road(client_for, member, org, program, status, last):
    steps = client_for(member).get(url("version_detail", org, at(program, status))).context["steps"]
    assert (steps[-1].label, steps[-1].state) == last


# ---------------------------------------------------------------- the history timeline


def test_the_history_lists_each_transition_with_who_and_when(client_for, member, org, owner, program):
    version = at(program, S.READY)
    releases.version_submit(version=version, actor=member, expedited=False)
    releases.version_withdraw(version=fresh(version), actor=owner)
    releases.version_set_trial(version=fresh(version), actor=member)

    entries = client_for(member).get(url("version_detail", org, version)).context["timeline"]

    assert [(e.label, e.actor) for e in entries] == [
        ("Submitted for review", "dev@acme.test"),
        ("Submission withdrawn; back to development", "owner@acme.test"),
        ("Made the trial version", "dev@acme.test"),
    ]
    assert entries[0].when <= entries[1].when <= entries[2].when


def test_review_decisions_show_the_platform_not_the_reviewer(client_for, member, org, program):
    reviewer = UserFactory(email="rita@platform.test")
    version = at(program, S.READY)
    releases.version_submit(version=version, actor=member)
    version_transition(fresh(version), to=S.APPROVED, actor=reviewer, action="approve",
                       note={"hosts": ["weibo"], "automatic": False})

    html = page(client_for(member), org, version)

    assert "Approved" in html and "for Weibo" in html
    assert "Platform review" in html
    assert "rita@platform.test" not in html


def test_an_approval_for_some_hosts_names_them_on_the_timeline(client_for, member, org, program):
    """A reviewer walk: the history line read "for alipay, weibo", the codes."""
    version = at(program, S.READY)
    releases.version_submit(version=version, actor=member)
    version_transition(fresh(version), to=S.APPROVED, actor=UserFactory(), action="approve",
                       note={"hosts": ["alipay", "weibo"], "automatic": False})

    html = page(client_for(member), org, version)

    assert "for Alipay, Weibo" in html and "alipay, weibo" not in html


def test_staff_on_the_timeline_appear_as_the_platform_whatever_the_action(client_for, member, org, program):
    """Anonymity holds on the read path: a staff actor with no label, on a non-review action, stays unnamed."""
    admin = UserFactory(email="ada@platform.test", is_staff=True)
    version = at(program, S.APPROVED)
    releases.version_release(version=version, actor=admin)

    entries = client_for(member).get(url("version_detail", org, version)).context["timeline"]

    assert [(e.label, e.actor) for e in entries if e.label == "Released to everyone"] == [
        ("Released to everyone", "Platform")]
    assert "ada@platform.test" not in page(client_for(member), org, version)


def test_the_whole_release_story_reads_in_order(client_for, member, owner, org, program):
    old = at(program, S.APPROVED, number="1.0.0")
    releases.version_release(version=old, actor=owner)
    version = at(program, S.APPROVED, number="1.1.0")
    releases.version_release(version=version, actor=owner, percentage=10)
    releases.version_release(version=fresh(version), actor=owner, percentage=50)
    releases.version_release(version=fresh(version), actor=owner, percentage=100)
    releases.program_rollback(program=program, target=fresh(old), actor=owner)

    labels = [e.label for e in client_for(member).get(url("version_detail", org, version)).context["timeline"]]
    old_labels = [e.label for e in client_for(member).get(url("version_detail", org, old)).context["timeline"]]

    assert labels == ["Phased release started at 10% of users", "Phased release raised from 10% to 50%",
                      "Released to everyone", "Rolled back: users went back to 1.0.0"]
    assert old_labels == ["Released to everyone", "Replaced by 1.1.0", "Released again by a rollback from 1.1.0"]


def test_the_history_leaves_out_other_versions_and_reviewer_claims(client_for, member, org, program):
    version = at(program, S.READY, number="1.0.0")
    other = at(program, S.READY, number="1.1.0")
    releases.version_set_trial(version=other, actor=member)
    audit_record(action="review.claim", target=version, actor=UserFactory(email="rita@platform.test"))

    assert client_for(member).get(url("version_detail", org, version)).context["timeline"] == []


# ---------------------------------------------------------------- the review thread's slot


def test_the_version_page_renders_the_version_page_panels(client_for, member, org, program, monkeypatch):
    calls = []
    monkeypatch.setitem(_SLOTS, VERSION_PAGE, [lambda request, **objects: calls.append(objects)])
    version = at(program, S.IN_REVIEW)

    page(client_for(member), org, version)

    assert len(calls) == 1
    assert calls[0]["version"] == version
    assert calls[0]["membership"] == Membership.objects.get(user=member)


# ---------------------------------------------------------------- the action POSTs


def test_submit_sends_the_version_to_review(client_for, member, org, program):
    version = at(program, S.READY)

    response = followed(client_for(member), url("version_submit", org, version),
                        {"notes": "Tap Spin", "test_account": "demo / 1234"})

    assert response.redirect_chain == [(url("version_detail", org, version), 302)]
    row = fresh(version)
    assert (row.status, row.submit_notes, row.test_account, row.expedited) == (
        S.IN_REVIEW, "Tap Spin", "demo / 1234", False)
    assert texts(response) == ["Version 1.0.0 is submitted for review."]


def test_submit_expedited(client_for, member, org, program):
    version = at(program, S.READY)

    followed(client_for(member), url("version_submit", org, version), {"expedited": "on"})

    assert fresh(version).expedited


def test_a_refused_submit_keeps_what_was_typed(client_for, member, org, program):
    org.expedited_reviews_per_month = 0
    org.save()
    version = at(program, S.READY)

    response = client_for(member).post(url("version_submit", org, version),
                                       {"notes": "Three paragraphs of careful notes", "expedited": "on"})

    assert response.status_code == 400
    assert texts(response) == ["This month's 0 expedited reviews are used up."]
    assert "Three paragraphs of careful notes</textarea>" in response.content.decode()
    assert fresh(version).status == S.READY


def test_submit_twice_is_refused_the_second_time(client_for, member, org, program):
    version = at(program, S.READY)
    client = client_for(member)
    followed(client, url("version_submit", org, version))

    response = client.post(url("version_submit", org, version))

    assert response.status_code == 400
    assert texts(response) == [
        "Only a development version (ready, after a clean scan) can be submitted for review; this one is "
        "“In review”."]


def test_withdraw(client_for, member, org, program):
    version = at(program, S.IN_REVIEW)

    response = followed(client_for(member), url("version_withdraw", org, version))

    assert fresh(version).status == S.READY
    assert texts(response) == ["Version 1.0.0 is withdrawn; it is a development version again."]


def test_withdraw_over_the_limit_says_why(client_for, member, org, program):
    version = at(program, S.IN_REVIEW, number="2.0.0")
    old = at(program, S.READY, number="1.0.0")
    for _ in range(5):
        Withdrawal.objects.create(program=program, version=old)

    response = followed(client_for(member), url("version_withdraw", org, version))

    assert fresh(version).status == S.IN_REVIEW
    assert texts(response) == ["You can withdraw at most 5 submissions a day."]


def test_set_trial(client_for, member, org, program):
    version = at(program, S.READY)

    response = followed(client_for(member), url("version_set_trial", org, version))

    program.refresh_from_db()
    assert program.trial_version == version
    assert texts(response)[0].startswith("Version 1.0.0 is now the trial version")


@pytest.mark.parametrize("data, status, percentage, message", [
    ({"audience": "everyone"}, S.RELEASED, None, "Version 1.0.0 is released to everyone."),
    ({"audience": "everyone", "percentage": "30"}, S.RELEASED, None, "Version 1.0.0 is released to everyone."),
    ({"audience": "phased", "percentage": "10"}, S.PHASED, 10, "Version 1.0.0 is being released to 10% of users."),
    ({"audience": "phased", "percentage": ""}, S.APPROVED, None,
     "Percentage of users: Give the percentage of users for the phased release (1–99)."),
    ({"audience": "phased", "percentage": "100"}, S.APPROVED, None,
     "Percentage of users: Ensure this value is less than or equal to 99."),
    ({}, S.APPROVED, None, "Release to: This field is required."),
])
def test_release(client_for, member, org, program, data, status, percentage, message):
    at(program, S.RELEASED, "0.9.0")  # an update: a first release is not phased
    version = at(program, S.APPROVED)

    response = followed(client_for(member), url("version_release", org, version), data)

    assert (fresh(version).status, fresh(version).phased_percentage) == (status, percentage)
    assert texts(response) == [message]


@pytest.mark.parametrize("data, status, percentage, message", [
    ({"preset": "25"}, S.PHASED, 25, "Version 1.0.0 is being released to 25% of users."),
    ({"percentage": "40"}, S.PHASED, 40, "Version 1.0.0 is being released to 40% of users."),
    ({"preset": "50", "percentage": "40"}, S.PHASED, 50, "Version 1.0.0 is being released to 50% of users."),
    ({"preset": "100"}, S.RELEASED, None, "Version 1.0.0 is released to everyone."),
    ({"percentage": "5"}, S.PHASED, 10, "A phased release can only go up: it is at 10%."),
    ({}, S.PHASED, 10, "Give the new percentage (up to 100)."),
])
def test_raise(client_for, member, org, program, data, status, percentage, message):
    version = at(program, S.PHASED, phased_percentage=10, released_at=timezone.now())

    response = followed(client_for(member), url("version_raise", org, version), data)

    assert (fresh(version).status, fresh(version).phased_percentage) == (status, percentage)
    assert texts(response) == [message]


def test_cancel_a_phased_release(client_for, member, org, program):
    version = at(program, S.PHASED, phased_percentage=10, released_at=timezone.now())

    response = followed(client_for(member), url("version_cancel_release", org, version))

    assert (fresh(version).status, fresh(version).phased_percentage) == (S.APPROVED, None)
    assert texts(response) == ["The phased release of 1.0.0 is cancelled; everyone gets the current release again."]


def test_a_conflict_tells_the_user_to_reload(client_for, member, org, program, monkeypatch):
    def lost_race(**kwargs):
        raise Conflict()

    monkeypatch.setattr(releases, "version_withdraw", lost_race)
    version = at(program, S.IN_REVIEW)

    response = followed(client_for(member), url("version_withdraw", org, version))

    assert texts(response) == ["Someone else changed this version a moment ago; reload the page to see it."]


def test_the_actions_need_a_post(client_for, member, org, program):
    version = at(program, S.READY)
    client = client_for(member)
    for name in VERSION_ACTIONS + ["version_rollback"]:
        assert client.get(url(name, org, version)).status_code == 405
    assert fresh(version).status == S.READY


def test_the_actions_are_csrf_protected(member, org, program):
    version = at(program, S.READY)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.post(url("version_submit", org, version)).status_code == 403
    assert fresh(version).status == S.READY


def test_scan_again_links_to_where_the_domains_and_the_privacy_declaration_are_changed(client_for, member, org,
                                                                                         program):
    client = client_for(member)
    html = page(client, org, at(program, S.SCAN_FAILED))

    assert "Scan again" in html
    edit = reverse("program_edit", args=[org.slug, program.appid])
    assert f'href="{edit}"' in html
    assert f'href="{edit}#privacy"' in html  # the form's POST address was linked: a blank 405 for a browser
    assert 'id="privacy"' in client.get(edit).content.decode()


ZIP_BOMB_REPORT = {"errors": 1, "warnings": 0, "infos": 0, "duration_ms": 0, "files": [],
                   "findings": [{"code": "archive.too_large", "severity": "error", "file": None, "line": None,
                                 "message": "The archive inflates to more than 512 MB."}]}


def test_after_an_archive_failure_the_page_asks_for_a_new_upload_not_a_scan_again(client_for, member, org, program):
    """A reviewer walk: after a zip bomb the page offered "Scan again" with advice about request domains and the
    privacy declaration, which cannot help, and said "Scanned in 0 ms"."""
    html = page(client_for(member), org, at(program, S.SCAN_FAILED, scan_report=ZIP_BOMB_REPORT))

    assert "Scan again" not in html and url("version_rescan", org, program.versions.get()) not in html
    assert "privacy declaration, change those and scan again" not in html
    assert "The package itself cannot be scanned" in html and "rebuild it and upload it again" in html
    assert "Scanned in 0 ms" not in html and "Scanned in under 1 ms." in html


def test_a_package_failed_at_archive_level_is_not_scanned_again(member, program):
    from console.exceptions import WrongState
    from programs.scans import version_rescan

    version = at(program, S.SCAN_FAILED, scan_report=ZIP_BOMB_REPORT)
    with pytest.raises(WrongState, match="rebuild it and upload it again"):
        version_rescan(version=version, actor=member)
    assert fresh(version).status == S.SCAN_FAILED


def test_scan_again_queues_the_same_package_and_says_so(client_for, member, org, program,
                                                        django_capture_on_commit_callbacks):
    version = at(program, S.SCAN_FAILED, scan_attempts=3)

    with django_capture_on_commit_callbacks() as callbacks:
        response = followed(client_for(member), url("version_rescan", org, version))

    assert response.redirect_chain[-1][0] == url("version_detail", org, version)
    assert texts(response) == ["Version 1.0.0 is queued to be scanned again, against the program's settings as "
                               "they are now."]
    assert (fresh(version).status, fresh(version).scan_attempts) == (S.UPLOADED, 0)
    assert len(scan_tasks(callbacks)) == 1  # the scan task, sent once the change commits
    assert "Scan asked for again" in response.content.decode()  # the version's history


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("name", VERSION_ACTIONS + ["version_rollback"])
def test_an_outsider_gets_404_on_every_action(client_for, outsider, other_org, org, program, name):
    version = at(program, S.SUPERSEDED if name == "version_rollback" else S.READY)
    client = client_for(outsider)

    assert client.post(url(name, org, version)).status_code == 404
    # Through their own organisation's URLs too.
    assert client.post(reverse(name, args=[other_org.slug, program.appid, version.version])).status_code == 404
    assert actions_recorded(version) == 0


def actions_recorded(version) -> int:
    return AuditEvent.objects.filter(target_type="programs.version", target_id=str(version.pk)).count()


@pytest.mark.parametrize("name", VERSION_ACTIONS + ["version_rollback"])
def test_a_viewer_gets_403_on_every_action(client_for, viewer, org, program, name):
    version = at(program, S.READY)

    assert client_for(viewer).post(url(name, org, version)).status_code == 403
    assert fresh(version).status == S.READY


def test_an_operator_cannot_act_either(client_for, org, program):
    operator = UserFactory(email="op@acme.test")
    Membership.objects.create(organisation=org, user=operator, role=Role.OPERATOR)
    version = at(program, S.READY)

    assert client_for(operator).post(url("version_submit", org, version)).status_code == 403


def test_an_unknown_version_is_404(client_for, member, org, program):
    path = reverse("version_submit", args=[org.slug, program.appid, "9.9.9"])
    assert client_for(member).post(path).status_code == 404


# ---------------------------------------------------------------- the program page's Releases card


def released_history(program, owner, count):
    return [releases.version_release(version=at(program, S.APPROVED, number=f"1.{n}.0"), actor=owner)
            for n in range(count)]


def program_url(org, program):
    return reverse("program_detail", args=[org.slug, program.appid])


def test_the_releases_card_shows_the_current_release_and_rollback_targets(client_for, member, owner, org, program):
    released_history(program, owner, 3)

    response = client_for(member).get(program_url(org, program))

    html = response.content.decode()
    card = response.context["releases"]
    assert card["current"].version == "1.2.0"
    assert [v.version for v in card["targets"]] == ["1.1.0", "1.0.0"]
    assert "Roll back to 1.1.0</button>" in html and "Roll back to 1.0.0</button>" in html
    assert f'action="{reverse("version_rollback", args=[org.slug, program.appid, "1.1.0"])}"' in html


def test_rollback_from_the_program_page(client_for, member, owner, org, program):
    first, _, current = released_history(program, owner, 3)

    response = followed(client_for(member), url("version_rollback", org, first))

    assert response.redirect_chain == [(program_url(org, program) + "#releases", 302)]
    assert (fresh(first).status, fresh(current).status) == (S.RELEASED, S.ROLLED_BACK)
    assert texts(response) == ["Rolled back: everyone gets 1.0.0 again."]
    assert response.context["releases"]["current"].version == "1.0.0"


def test_during_a_phased_release_rollback_is_disabled_and_explained(client_for, member, owner, org, program):
    first, _ = released_history(program, owner, 2)
    releases.version_release(version=at(program, S.APPROVED, number="2.0.0"), actor=owner, percentage=10)

    html = client_for(member).get(program_url(org, program)).content.decode()

    assert "Rolling back is not possible during the phased release of 2.0.0" in html
    assert 'type="submit" disabled>Roll back to 1.0.0</button>' in html
    assert "10%" in html

    response = followed(client_for(member), url("version_rollback", org, first))
    assert texts(response) == ["Finish or cancel the phased release before rolling back."]
    assert fresh(first).status == S.SUPERSEDED


def test_the_releases_card_shows_the_version_next_in_line(client_for, member, org, program):
    at(program, S.APPROVED, number="2.0.0")

    html = client_for(member).get(program_url(org, program)).content.decode()

    assert "Next in line" in html and "Release it" in html
    assert "Nothing is released yet." in html


def test_before_any_release_the_card_does_not_say_live_for_everyone(client_for, member, org, program):
    """It read "全量发布中" right above "尚未发布任何版本。"."""
    html = client_for(member).get(program_url(org, program), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    card = html.split('id="releases"', 1)[1].split("</section>", 1)[0]
    assert "尚未发布任何版本。" in card
    assert "全量发布中" not in card


def test_a_viewer_sees_releases_but_no_rollback_button(client_for, viewer, owner, org, program):
    released_history(program, owner, 2)

    html = client_for(viewer).get(program_url(org, program)).content.decode()

    assert "Live for everyone" in html and "1.0.0" in html
    assert "Roll back to 1.0.0</button>" not in html


@pytest.mark.parametrize("status", [S.APPROVED, S.PHASED, S.RELEASED])
def test_the_developer_sees_by_name_which_hosts_the_approval_covers(client_for, viewer, org, program, status):
    version = at(program, status, approved_hosts=["weibo", "alipay"], released_at=timezone.now(), phased_percentage=10)
    html = page(client_for(viewer), org, version)
    covers = html.split("data-approval-hosts", 1)[1].split("</p>", 1)[0]
    assert "The approval covers:" in covers and "Alipay, Weibo" in covers  # names in catalog order, not codes


def test_an_approval_for_every_host_says_so_in_chinese_too(client_for, viewer, org, program):
    version = at(program, S.APPROVED, approved_hosts=[])
    assert "every host" in page(client_for(viewer), org, version).split("data-approval-hosts", 1)[1]
    zh = client_for(viewer)
    version_two = at(program, S.RELEASED, number="0.9.0", approved_hosts=["weibo"], released_at=timezone.now())
    html = zh.get(url("version_detail", org, version_two), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "微博" in html.split("data-approval-hosts", 1)[1]


def test_a_version_in_review_says_nothing_of_hosts(client_for, viewer, org, program):
    assert "data-approval-hosts" not in page(client_for(viewer), org, at(program, S.IN_REVIEW))


def test_the_page_says_what_reviewers_need_instead_of_offering_submit(client_for, member, org, program):
    program.privacy_policy_url = ""
    program.save()
    html = page(client_for(member), org, at(program, S.READY))
    assert "data-details-missing" in html and "“Privacy policy URL”" in html
    assert reverse("program_edit", args=[org.slug, program.appid]) in html
    assert url("version_submit", org, Version.objects.get(program=program)) not in html.split("data-details-missing")[1]


def test_what_reviewers_need_is_named_by_the_program_forms_own_labels(client_for, member, org, program):
    """The hint said 小程序简介 for the description, but on the form 简介 is the slogan and 描述 the description."""
    from programs.forms import ProgramForm

    program.description, program.privacy_policy_url = "", ""
    program.save()
    version = at(program, S.READY)
    for lang in ("en", "zh-hans"):
        html = client_for(member).get(url("version_detail", org, version), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        hint = html.split("data-details-missing", 1)[1].split("</div>", 1)[0]
        with translation.override(lang):
            labels = [str(ProgramForm.base_fields[name].label) for name in ("description", "privacy_policy_url")]
        assert f"“{labels[0]}” · “{labels[1]}”" in hint, lang
    assert labels == ["描述", "隐私政策 URL"]


@pytest.mark.parametrize("approved_hosts, warned", [(["alipay"], True), ([], False), (["alipay", "weibo"], False)])
def test_the_release_form_warns_when_the_version_leaves_hosts_of_the_live_release(
        client_for, member, org, program, approved_hosts, warned):
    """Released for Alipay only, 2.0.0 silently took the program off Weibo, whose grants stopped showing it."""
    at(program, S.RELEASED, released_at=timezone.now(), approved_hosts=["alipay", "weibo"])
    version = at(program, S.APPROVED, "2.0.0", approved_hosts=approved_hosts)

    html = page(client_for(member), org, version)

    assert ("This version is not approved for Weibo, where the live release runs." in html) is warned
    assert ("It is not approved for Weibo: the program leaves them" in html) is warned  # the confirmation too


def test_raising_a_phased_release_to_everyone_warns_about_the_hosts_it_leaves(client_for, member, org, program):
    at(program, S.RELEASED, released_at=timezone.now(), approved_hosts=["alipay", "weibo"])
    version = at(program, S.PHASED, "2.0.0", approved_hosts=["alipay"], phased_percentage=10,
                 released_at=timezone.now())

    html = page(client_for(member), org, version)

    assert "This version is not approved for Weibo, where the live release runs." in html
    assert 'class="action-form raise-form" data-once\n        data-confirm-everyone="Release 2.0.0 to everyone now?' in html


def test_the_version_page_names_a_missing_detail_and_licence_at_once(client_for, owner, org):
    """It named the privacy policy URL, and the licence only once the URL was there: two rounds of fixing."""
    from django.urls import reverse

    from programs.tests.factories import MiniProgramFactory, VersionFactory, category

    program = MiniProgramFactory(organisation=org, privacy_policy_url="")
    program.categories.set([category("tools"), category("e-commerce")])
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)

    page = client_for(owner).get(reverse("version_detail", args=[org.slug, program.appid, "1.0.0"]))

    html = page.content.decode()
    assert "upload the qualification document for E-commerce" in html and "data-details-missing" in html
    assert reverse("version_submit", args=[org.slug, program.appid, "1.0.0"]) not in html
