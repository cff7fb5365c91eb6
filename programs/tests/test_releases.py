"""The developer's lifecycle services (programs/releases.py): submit, withdraw, trial, release, rollback, prune.

Versions are put into a status with the factory (setting up) and moved by the services under test.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from console.exceptions import WrongState
from console.models import AuditEvent, Notification
from console.tests.factories import AuditEventFactory
from programs import releases
from programs.lifecycle import version_transition
from programs.models import QualificationDocument, TrialTester, Version, Withdrawal
from programs.releases import (
    add_working_days,
    expedited_used_this_month,
    program_rollback,
    prune_development_versions,
    review_due_at,
    rollback_targets,
    rollout_bucket,
    trial_link,
    version_cancel_phase,
    version_release,
    version_set_trial,
    version_submit,
    version_withdraw,
    withdrawals_used,
)
from programs.tests.factories import MiniProgramFactory, VersionFactory, category

# Imported under other names: pytest would collect functions called test… as tests.
add_tester, remove_tester = releases.tester_add, releases.tester_remove

pytestmark = pytest.mark.django_db

S = Version.Status


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="City Bikes")


def make(program, status, **fields) -> Version:
    return VersionFactory(program=program, status=status, **fields)


def actions(version) -> list[str]:
    events = AuditEvent.objects.filter(target_type="programs.version", target_id=str(version.pk))
    return list(events.order_by("created_at").values_list("action", flat=True))


def fresh(version) -> Version:
    return Version.objects.get(pk=version.pk)


def released(program, number: str, owner) -> Version:
    """An approved version of `program` released to everyone through the service."""
    return version_release(version=make(program, S.APPROVED, version=number), actor=owner)


# ---------------------------------------------------------------- submit


def test_submit_moves_a_ready_version_into_review_with_what_the_reviewer_needs(program, owner):
    program.request_domains = ["https://api.example.com"]
    program.save()
    version = make(program, S.READY)

    before = timezone.now()
    version_submit(version=version, actor=owner, notes="  Log in below  ", test_account=" demo / 1234 ")

    row = fresh(version)
    assert row.status == S.IN_REVIEW
    assert (row.submit_notes, row.test_account, row.expedited) == ("Log in below", "demo / 1234", False)
    assert row.submitted_at >= before
    assert row.review_due_at == add_working_days(row.submitted_at, 3)
    assert row.submitted_metadata["categories"] == ["tools"]
    assert row.submitted_metadata["domains"]["request"] == ["https://api.example.com"]
    event = AuditEvent.objects.get(action="version.submit", target_id=str(version.pk))
    assert (event.actor, event.before, event.after) == (owner, {"status": "ready"},
                                                        {"status": "in_review", "expedited": False})


@pytest.mark.parametrize("status", [s for s in S.values if s != S.READY])
def test_only_a_ready_version_can_be_submitted(program, owner, status):
    version = make(program, status)

    with pytest.raises(ValidationError) as exc:
        version_submit(version=version, actor=owner)

    assert "Only a development version" in exc.value.messages[0]
    assert fresh(version).status == status
    assert actions(version) == []


@pytest.mark.parametrize(("blank", "said"), [
    ({"description": ""}, "the program's “Description”: fill it in on the program's edit page (through the "
                          "API: the program's `description`)."),
    ({"privacy_policy_url": ""}, "the program's “Privacy policy URL”: fill it in on the program's edit page "
                                 "(through the API: the program's `privacy_policy_url`)."),
    ({"description": "  ", "privacy_policy_url": ""}, "the program's “Description” and “Privacy policy URL”: "
                                                      "fill them in on the program's edit page (through the API: "
                                                      "the program's `description`, `privacy_policy_url`)."),
])
def test_submit_asks_first_for_what_reviewers_need(program, owner, blank, said):
    for name, value in blank.items():
        setattr(program, name, value)
    program.save()
    version = make(program, Version.Status.READY)

    with pytest.raises(ValidationError) as exc:
        version_submit(version=version, actor=owner)

    assert said in exc.value.messages[0]
    assert fresh(version).status == Version.Status.READY
    assert actions(version) == []


def test_a_second_submit_of_the_same_stale_object_is_refused(program, owner):
    """A double click: both requests hold the version as it was before the first one."""
    version = make(program, S.READY)
    stale = Version.objects.get(pk=version.pk)
    version_submit(version=version, actor=owner)

    with pytest.raises(ValidationError):
        version_submit(version=stale, actor=owner)

    assert actions(version) == ["version.submit"]


@pytest.mark.parametrize("busy", [S.IN_REVIEW, S.APPROVED, S.PHASED])
def test_one_version_in_flight_per_program(program, owner, busy):
    make(program, busy, version="1.0.0")
    version = make(program, S.READY, version="1.1.0")

    with pytest.raises(ValidationError) as exc:
        version_submit(version=version, actor=owner)

    assert "Version 1.0.0 of this program is already in review, approved or being released" in exc.value.messages[0]
    assert fresh(version).status == S.READY


def test_another_programs_version_in_review_does_not_block(program, org, owner):
    make(MiniProgramFactory(organisation=org), S.IN_REVIEW)
    version = make(program, S.READY)

    version_submit(version=version, actor=owner)

    assert fresh(version).status == S.IN_REVIEW


@pytest.mark.parametrize("second", [S.IN_REVIEW, S.APPROVED, S.PHASED])
def test_the_database_refuses_a_second_in_flight_version(program, second):
    make(program, S.IN_REVIEW, version="1.0.0")
    other = make(program, S.READY, version="1.1.0")

    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.filter(pk=other.pk).update(status=second)


def test_the_database_refuses_a_second_released_version(program):
    make(program, S.RELEASED, version="1.0.0")
    other = make(program, S.SUPERSEDED, version="0.9.0")

    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.filter(pk=other.pk).update(status=S.RELEASED)


def test_a_category_that_needs_qualification_needs_its_document_first(program, owner):
    program.categories.set([category("tools"), category("medical")])
    version = make(program, S.READY)

    with pytest.raises(ValidationError) as exc:
        version_submit(version=version, actor=owner)
    assert exc.value.messages == ["Upload the qualification documents for: Medical (medical)."]
    assert fresh(version).status == S.READY

    QualificationDocument.objects.create(program=program, category=category("medical"), original_name="licence.pdf",
                                         file=ContentFile(b"%PDF-1.4", name="licence.pdf"))
    version_submit(version=version, actor=owner)
    assert fresh(version).status == S.IN_REVIEW


# ---------------------------------------------------------------- due dates and the expedited quota


@pytest.mark.parametrize("start, days, due", [
    ("2026-03-02 10:00", 3, "2026-03-05 10:00"),  # Monday → Thursday
    ("2026-03-05 15:30", 3, "2026-03-10 15:30"),  # Thursday → Tuesday, over the weekend
    ("2026-03-07 09:00", 3, "2026-03-11 09:00"),  # Saturday → Wednesday
    ("2026-03-06 18:00", 1, "2026-03-09 18:00"),  # Friday → Monday
])
def test_due_dates_count_working_days(start, days, due):
    assert add_working_days(datetime.fromisoformat(start), days) == datetime.fromisoformat(due)


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_due_dates_count_the_platforms_weekdays_not_utcs():
    # 2026-12-02 00:16 in Shanghai is a Wednesday, but still Tuesday 16:16 in UTC.
    submitted = datetime(2026, 12, 1, 16, 16, tzinfo=UTC)
    due = add_working_days(submitted, 3)
    assert due == datetime(2026, 12, 7, 0, 16, tzinfo=ZoneInfo("Asia/Shanghai"))  # Monday, not Saturday
    assert due.astimezone(ZoneInfo("Asia/Shanghai")).weekday() == 0


def test_an_expedited_review_is_due_in_twelve_hours():
    start = datetime.fromisoformat("2026-03-06 18:00")
    assert review_due_at(start, expedited=True) == start + timedelta(hours=12)
    assert review_due_at(start, expedited=False) == datetime.fromisoformat("2026-03-11 18:00")


def used_expedited(org, n: int, *, when=None):
    """`n` expedited submissions of other programs of `org`, submitted `when` (default now), as the submit
    service records them."""
    for _ in range(n):
        version = make(MiniProgramFactory(organisation=org), S.REJECTED, expedited=True,
                       submitted_at=when or timezone.now())
        AuditEventFactory(organisation=org, action="version.submit", target_type="version", target_id=str(version.pk),
                          after={"status": "in_review", "expedited": True}, created_at=when or timezone.now())


def test_expedited_submissions_count_against_the_monthly_quota(program, org, owner, settings):
    settings.EXPEDITED_REVIEWS_PER_MONTH = 3
    used_expedited(org, 2)
    first = make(program, S.READY, version="1.0.0")

    version_submit(version=first, actor=owner, expedited=True)
    assert fresh(first).expedited
    assert fresh(first).review_due_at == fresh(first).submitted_at + timedelta(hours=12)
    assert expedited_used_this_month(org) == 3

    version_transition(fresh(first), to=S.REJECTED)
    second = make(program, S.READY, version="1.1.0")
    with pytest.raises(ValidationError) as exc:
        version_submit(version=second, actor=owner, expedited=True)
    assert exc.value.messages == ["This month's 3 expedited reviews are used up."]

    version_submit(version=second, actor=owner)  # an ordinary review is still possible
    assert (fresh(second).status, fresh(second).expedited) == (S.IN_REVIEW, False)


def test_last_months_and_other_orgs_expedited_reviews_do_not_count(program, org, other_org, owner, settings):
    settings.EXPEDITED_REVIEWS_PER_MONTH = 1
    last_month = releases._month_start(timezone.now()) - timedelta(seconds=1)
    used_expedited(org, 2, when=last_month)
    used_expedited(other_org, 2)
    assert expedited_used_this_month(org) == 0

    version_submit(version=make(program, S.READY), actor=owner, expedited=True)

    assert expedited_used_this_month(org) == 1


def test_withdrawing_and_submitting_again_does_not_give_an_expedited_review_back(program, org, owner, settings):
    """Withdrawing cleared the version's flag, which was what the quota counted: a CI loop of withdraw and
    expedited submit had five in a month against a quota of three."""
    settings.EXPEDITED_REVIEWS_PER_MONTH = 2
    version = make(program, S.READY, version="1.0.0")
    version_submit(version=version, actor=owner, expedited=True)
    version_withdraw(version=fresh(version), actor=owner)
    version_submit(version=fresh(version), actor=owner, expedited=True)
    version_withdraw(version=fresh(version), actor=owner)
    assert expedited_used_this_month(org) == 2
    with pytest.raises(ValidationError) as exc:
        version_submit(version=fresh(version), actor=owner, expedited=True)
    assert exc.value.messages == ["This month's 2 expedited reviews are used up."]


@pytest.mark.parametrize("override, allowed", [(5, True), (0, False), (None, False)])
def test_an_organisation_can_have_its_own_expedited_quota(program, org, owner, settings, override, allowed):
    settings.EXPEDITED_REVIEWS_PER_MONTH = 2
    org.expedited_reviews_per_month = override
    org.save()
    used_expedited(org, 2)
    version = make(program, S.READY)

    if allowed:
        version_submit(version=version, actor=owner, expedited=True)
        assert fresh(version).expedited
    else:
        with pytest.raises(ValidationError, match="expedited reviews are used up"):
            version_submit(version=version, actor=owner, expedited=True)
        assert fresh(version).status == S.READY


# ---------------------------------------------------------------- withdraw


def withdrawn(program, n: int, when):
    for _ in range(n):
        row = Withdrawal.objects.create(program=program, version=make(program, S.READY))
        Withdrawal.objects.filter(pk=row.pk).update(created_at=when)


def test_withdraw_puts_the_version_back_to_ready_and_counts(program, owner):
    version = make(program, S.READY)
    version_submit(version=version, actor=owner, expedited=True)

    version_withdraw(version=fresh(version), actor=owner)

    row = fresh(version)
    assert (row.status, row.review_due_at, row.expedited, row.awaiting_developer) == (S.READY, None, False, False)
    assert Withdrawal.objects.get().version == version
    assert withdrawals_used(program) == (1, 1)
    assert actions(version) == ["version.submit", "version.withdraw"]


@pytest.mark.parametrize("status", [S.READY, S.APPROVED, S.REJECTED, S.PHASED, S.RELEASED])
def test_only_a_version_in_review_can_be_withdrawn(program, owner, status):
    version = make(program, status)

    with pytest.raises(ValidationError, match="Only a version in review"):
        version_withdraw(version=version, actor=owner)

    assert not Withdrawal.objects.exists()


def test_five_withdrawals_a_day(program, owner):
    withdrawn(program, 5, timezone.now() - timedelta(seconds=5))
    version = make(program, S.IN_REVIEW)

    with pytest.raises(ValidationError) as exc:
        version_withdraw(version=version, actor=owner)

    assert exc.value.messages == ["You can withdraw at most 5 submissions a day."]
    assert fresh(version).status == S.IN_REVIEW
    assert Withdrawal.objects.count() == 5


def test_yesterdays_withdrawals_do_not_count_for_today(program, owner, settings):
    settings.WITHDRAWALS_PER_MONTH = 100
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    withdrawn(program, 5, today - timedelta(minutes=1))
    version = make(program, S.IN_REVIEW)

    version_withdraw(version=version, actor=owner)

    assert fresh(version).status == S.READY
    assert withdrawals_used(program)[0] == 1


def test_ten_withdrawals_a_month(program, owner, settings):
    settings.WITHDRAWALS_PER_DAY = 100  # so that only the monthly limit can refuse, whatever today's date
    month_start = releases._month_start(timezone.now())
    withdrawn(program, 10, month_start)
    withdrawn(program, 3, month_start - timedelta(seconds=1))  # last month
    version = make(program, S.IN_REVIEW)

    with pytest.raises(ValidationError) as exc:
        version_withdraw(version=version, actor=owner)

    assert exc.value.messages == ["You can withdraw at most 10 submissions a month."]
    assert withdrawals_used(program)[1] == 10


def test_withdrawal_limits_are_per_program(program, org, owner):
    withdrawn(MiniProgramFactory(organisation=org), 5, timezone.now())
    version = make(program, S.IN_REVIEW)

    version_withdraw(version=version, actor=owner)

    assert fresh(version).status == S.READY


# ---------------------------------------------------------------- trial version and testers


@pytest.mark.parametrize("status", releases.TRIAL_STATUSES)
def test_a_development_version_can_be_the_trial_version(program, owner, status):
    version = make(program, status)

    version_set_trial(version=version, actor=owner)

    program.refresh_from_db()
    assert program.trial_version == version
    event = AuditEvent.objects.get(action="program.trial_version")
    assert (event.target_id, event.before, event.after) == (str(program.pk), {"trial_version": None},
                                                            {"trial_version": version.version})


@pytest.mark.parametrize("status", sorted(set(S.values) - set(releases.TRIAL_STATUSES)))
def test_other_versions_cannot_be_the_trial_version(program, owner, status):
    version = make(program, status)

    with pytest.raises(ValidationError, match="trial version"):
        version_set_trial(version=version, actor=owner)

    program.refresh_from_db()
    assert program.trial_version is None


def test_one_trial_version_per_program(program, owner):
    first, second = make(program, S.READY, version="1.0.0"), make(program, S.READY, version="1.1.0")
    version_set_trial(version=first, actor=owner)

    version_set_trial(version=second, actor=owner)

    program.refresh_from_db()
    assert program.trial_version == second
    latest = AuditEvent.objects.filter(action="program.trial_version").order_by("-created_at").first()
    assert (latest.before, latest.after) == ({"trial_version": "1.0.0"}, {"trial_version": "1.1.0"})


def test_testers_are_stored_lower_case_once(program, owner):
    tester = add_tester(program=program, actor=owner, email="  Tess@Example.COM ")
    assert tester.email == "tess@example.com"

    with pytest.raises(ValidationError) as exc:
        add_tester(program=program, actor=owner, email="tess@example.com")

    assert exc.value.message_dict == {"email": ["tess@example.com is already a tester."]}
    assert TrialTester.objects.count() == 1
    assert AuditEvent.objects.filter(action="program.tester_add").count() == 1


def test_the_same_tester_may_test_two_programs(program, org, owner):
    add_tester(program=program, actor=owner, email="tess@example.com")
    add_tester(program=MiniProgramFactory(organisation=org), actor=owner, email="tess@example.com")
    assert TrialTester.objects.count() == 2


def test_removing_a_tester_deletes_it_and_records_who(program, owner):
    tester = add_tester(program=program, actor=owner, email="tess@example.com")

    remove_tester(tester=tester, actor=owner)

    assert not TrialTester.objects.exists()
    event = AuditEvent.objects.get(action="program.tester_remove")
    assert (event.actor, event.before) == (owner, {"email": "tess@example.com"})


def test_the_trial_link_is_absolute(program, settings):
    settings.SITE_URL = "https://console.example.com"
    assert trial_link(program) == f"https://console.example.com/trial/{program.appid}/"


# ---------------------------------------------------------------- release


def test_releasing_to_everyone_supersedes_the_previous_release(program, owner):
    old = released(program, "1.0.0", owner)
    new = make(program, S.APPROVED, version="1.1.0")

    version_release(version=new, actor=owner)

    assert (fresh(old).status, fresh(new).status) == (S.SUPERSEDED, S.RELEASED)
    assert fresh(new).released_at is not None and fresh(new).phased_percentage is None
    assert actions(old) == ["version.release", "version.supersede"]
    assert AuditEvent.objects.get(action="version.supersede").after == {"status": "superseded", "by": "1.1.0"}
    assert AuditEvent.objects.filter(action="version.release", target_id=str(new.pk)).get().after == {
        "status": "released", "percentage": 100}


def test_a_release_notifies_the_organisation(program, org, owner, member):
    released(program, "1.0.0", owner)

    notification = Notification.objects.get(user=member)
    assert str(notification.title) == "City Bikes 1.0.0 is released to everyone"


def test_whoever_clicks_release_is_not_told_of_it(program, owner):
    released(program, "1.0.0", owner)

    assert not Notification.objects.filter(user=owner).exists()


def test_a_release_made_with_an_api_key_is_told_to_the_keys_owner_too(program, org, owner, member, owner_key):
    # A CI job released it: nobody clicked, and in a one-person organisation nobody else would hear of it.
    released(program, "1.0.0", owner)
    Notification.objects.all().delete()
    version_release(version=make(program, S.APPROVED, version="1.1.0"), actor=owner, api_key=owner_key[0],
                    percentage=10)

    assert {n.user for n in Notification.objects.all()} == {owner, member}
    assert str(Notification.objects.get(user=owner).title) == "City Bikes 1.1.0 is being released to 10% of users"


def test_a_phased_release_reaches_a_percentage(program, owner):
    current = released(program, "1.0.0", owner)
    version = make(program, S.APPROVED, version="1.1.0")

    version_release(version=version, actor=owner, percentage=10)

    row = fresh(version)
    assert (row.status, row.phased_percentage) == (S.PHASED, 10)
    assert row.released_at is not None
    assert fresh(current).status == S.RELEASED  # everyone else still gets 1.0.0
    assert AuditEvent.objects.get(action="version.release_phased").after == {"status": "phased", "percentage": 10}


@pytest.mark.parametrize("status", [S.READY, S.IN_REVIEW, S.REJECTED, S.RELEASED, S.SUPERSEDED, S.ROLLED_BACK])
def test_only_an_approved_version_can_be_released(program, owner, status):
    version = make(program, status)

    with pytest.raises(ValidationError, match="Only an approved version"):
        version_release(version=version, actor=owner, percentage=50)

    assert fresh(version).status == status


@pytest.mark.parametrize("percentage", [0, -5, 101, "50", 12.5])
def test_a_percentage_is_a_whole_number_from_1_to_100(program, owner, percentage):
    version = make(program, S.APPROVED)

    with pytest.raises(ValidationError) as exc:
        version_release(version=version, actor=owner, percentage=percentage)

    assert exc.value.message_dict == {"percentage": ["Give a whole percentage from 1 to 100."]}
    assert fresh(version).status == S.APPROVED


def phased(program, owner, percentage: int, number: str = "1.1.0") -> Version:
    """An update phased to `percentage` % of users (1.0.0 is released first, if nothing is)."""
    if not program.versions.filter(status=S.RELEASED).exists():
        released(program, "1.0.0", owner)
    return version_release(version=make(program, S.APPROVED, version=number), actor=owner, percentage=percentage)


def test_a_first_release_cannot_be_phased(program, owner):
    """The users outside the phase would get no mini-program at all (a CI walk released 10 % of a first)."""
    version = make(program, S.APPROVED, version="1.0.0")

    with pytest.raises(WrongState) as refused:
        version_release(version=version, actor=owner, percentage=10)

    assert "A first release goes to every user" in refused.value.messages[0]
    assert fresh(version).status == S.APPROVED


def test_a_phased_release_can_be_raised(program, owner):
    version = phased(program, owner, 10)

    version_release(version=version, actor=owner, percentage=25)

    assert (fresh(version).status, fresh(version).phased_percentage) == (S.PHASED, 25)
    event = AuditEvent.objects.get(action="version.release_raise")
    assert (event.before, event.after) == ({"percentage": 10}, {"percentage": 25})


@pytest.mark.parametrize("lower", [25, 10, 1])
def test_a_phased_percentage_only_goes_up(program, owner, lower):
    version = phased(program, owner, 25)

    with pytest.raises(ValidationError) as exc:
        version_release(version=version, actor=owner, percentage=lower)

    assert exc.value.message_dict == {"percentage": ["A phased release can only go up: it is at 25%."]}
    assert fresh(version).phased_percentage == 25
    assert not AuditEvent.objects.filter(action="version.release_raise").exists()


def test_raising_to_100_releases_it_and_supersedes_the_previous_release(program, owner):
    old = released(program, "1.0.0", owner)
    version = phased(program, owner, 50)

    version_release(version=version, actor=owner, percentage=100)

    assert (fresh(version).status, fresh(version).phased_percentage) == (S.RELEASED, None)
    assert fresh(old).status == S.SUPERSEDED
    assert actions(version) == ["version.release_phased", "version.release"]


def test_a_phased_release_can_be_cancelled(program, owner):
    current = released(program, "1.0.0", owner)
    version = phased(program, owner, 10)

    version_cancel_phase(version=version, actor=owner)

    row = fresh(version)
    assert (row.status, row.phased_percentage, row.released_at) == (S.APPROVED, None, None)
    assert fresh(current).status == S.RELEASED
    assert AuditEvent.objects.get(action="version.release_cancel").after == {"status": "approved",
                                                                             "percentage_was": 10}
    version_release(version=row, actor=owner, percentage=5)  # and started again, lower this time
    assert fresh(version).phased_percentage == 5


@pytest.mark.parametrize("status", [S.APPROVED, S.RELEASED, S.IN_REVIEW])
def test_only_a_phased_release_can_be_cancelled(program, owner, status):
    version = make(program, status)

    with pytest.raises(ValidationError, match="Only a phased release"):
        version_cancel_phase(version=version, actor=owner)

    assert fresh(version).status == status


# ---------------------------------------------------------------- rollback


def history(program, owner, count: int) -> list[Version]:
    """`count` versions released one after the other (the last one is the current release)."""
    return [released(program, f"1.{n}.0", owner) for n in range(count)]


def test_rollback_targets_are_the_last_five_releases_newest_first(program, owner):
    versions = history(program, owner, 8)

    targets = rollback_targets(program)

    assert [v.version for v in targets] == ["1.6.0", "1.5.0", "1.4.0", "1.3.0", "1.2.0"]
    assert versions[-1] not in targets  # the current release


def test_rolling_back_releases_the_target_and_retires_the_current_one(program, owner):
    first, second, current = history(program, owner, 3)

    program_rollback(program=program, target=first, actor=owner)

    assert (fresh(first).status, fresh(second).status, fresh(current).status) == (
        S.RELEASED, S.SUPERSEDED, S.ROLLED_BACK)
    assert actions(current)[-1] == "version.rollback_from"
    assert actions(first)[-1] == "version.rollback_to"
    assert AuditEvent.objects.get(action="version.rollback_to").after == {"status": "released", "from": "1.2.0"}
    assert [v.version for v in rollback_targets(program)] == ["1.1.0"]


def test_a_rolled_back_version_is_never_a_target_again(program, owner):
    first, current = history(program, owner, 2)
    program_rollback(program=program, target=first, actor=owner)

    assert current.pk not in {v.pk for v in rollback_targets(program)}
    with pytest.raises(WrongState, match="a rolled-back version cannot be a rollback target"):
        program_rollback(program=program, target=current, actor=owner)
    assert fresh(first).status == S.RELEASED


def test_no_rollback_beyond_the_last_five(program, owner):
    versions = history(program, owner, 7)

    with pytest.raises(WrongState) as exc:
        program_rollback(program=program, target=versions[0], actor=owner)

    assert exc.value.messages == ["Roll back only to one of the last 5 released versions."]
    assert fresh(versions[-1]).status == S.RELEASED


def test_no_rollback_during_a_phased_release(program, owner):
    first, _current = history(program, owner, 2)
    phased(program, owner, 10, number="2.0.0")

    with pytest.raises(ValidationError, match="phased release before rolling back"):
        program_rollback(program=program, target=first, actor=owner)

    assert fresh(first).status == S.SUPERSEDED


def test_no_rollback_when_nothing_is_released(program, owner):
    version = make(program, S.SUPERSEDED, released_at=timezone.now())

    with pytest.raises(ValidationError, match="Nothing is released"):
        program_rollback(program=program, target=version, actor=owner)


def test_no_rollback_to_a_version_of_another_program(program, org, owner):
    history(program, owner, 2)
    other_first, _ = history(MiniProgramFactory(organisation=org), owner, 2)

    with pytest.raises(ValidationError, match="last 5 released versions"):
        program_rollback(program=program, target=other_first, actor=owner)


def test_a_rollback_notifies_the_organisation(program, owner, member):
    first, _ = history(program, owner, 2)

    program_rollback(program=program, target=first, actor=owner)

    assert Notification.objects.filter(user=member).order_by("-created_at").first().title == (
        "City Bikes was rolled back to 1.0.0")


# ---------------------------------------------------------------- the rollout bucket


def test_the_rollout_bucket_is_stable_and_within_0_to_99():
    buckets = [rollout_bucket("2025000000000001", f"user-{n}") for n in range(200)]

    assert buckets == [rollout_bucket("2025000000000001", f"user-{n}") for n in range(200)]
    assert all(0 <= b <= 99 for b in buckets)


def test_the_rollout_bucket_depends_on_the_program():
    same = sum(rollout_bucket("2025000000000001", f"u{n}") == rollout_bucket("2025000000000002", f"u{n}")
               for n in range(1000))
    assert same < 50  # about 1 in 100 by chance


def test_the_rollout_buckets_are_roughly_uniform():
    counts = Counter(rollout_bucket("2025000000000001", f"host-user-{n}") // 10 for n in range(20_000))

    assert sorted(counts) == list(range(10))
    assert all(1_700 <= c <= 2_300 for c in counts.values()), counts
    reached = sum(1 for n in range(20_000) if rollout_bucket("2025000000000001", f"host-user-{n}") < 10)
    assert 1_700 <= reached <= 2_300  # a 10 % phase reaches about 10 % of users


# ---------------------------------------------------------------- pruning development versions


def test_pruning_keeps_the_newest_ready_versions_and_the_trial_version(program, owner, settings):
    settings.DEVELOPMENT_VERSIONS_KEPT = 20
    start = timezone.now() - timedelta(days=30)
    ready = [make(program, S.READY, version=f"1.0.{n}", created_at=start + timedelta(hours=n)) for n in range(23)]
    others = [make(program, S.REJECTED, version="0.1.0", created_at=start - timedelta(days=1)),
              make(program, S.SCAN_FAILED, version="0.2.0", created_at=start - timedelta(days=1))]
    version_set_trial(version=ready[0], actor=owner)

    gone = prune_development_versions(program=program)

    assert sorted(gone) == ["1.0.1", "1.0.2"]
    left = set(program.versions.values_list("version", flat=True))
    assert left == {v.version for v in ready[3:]} | {"1.0.0", "0.1.0", "0.2.0"}
    assert {e.before["version"] for e in AuditEvent.objects.filter(action="version.prune")} == {"1.0.1", "1.0.2"}
    assert all(fresh(v) for v in others)


def test_pruning_does_nothing_under_the_limit(program, settings):
    settings.DEVELOPMENT_VERSIONS_KEPT = 20
    for n in range(20):
        make(program, S.READY, version=f"1.0.{n}")

    assert prune_development_versions(program=program) == []
    assert program.versions.count() == 20


def test_one_refusal_names_everything_the_program_lacks_before_a_review(org, owner):
    """A developer heard of the description, then of the privacy policy URL, then of a licence: three submissions."""
    program = MiniProgramFactory(organisation=org, description="", privacy_policy_url="")
    program.categories.set([category("tools"), category("medical")])
    version = make(program, S.READY)

    with pytest.raises(ValidationError) as exc:
        version_submit(version=version, actor=owner)

    message = exc.value.messages[0]
    assert "the program's “Description” and “Privacy policy URL”: fill them in" in message
    assert "`description`, `privacy_policy_url`" in message
    assert "Upload the qualification documents for: Medical (medical)." in message


def test_one_missing_detail_is_named_in_the_singular(org, owner):
    program = MiniProgramFactory(organisation=org, privacy_policy_url="")
    version = make(program, S.READY)

    with pytest.raises(ValidationError) as exc:
        version_submit(version=version, actor=owner)

    assert exc.value.messages[0].startswith("Reviewers need the program's “Privacy policy URL”: fill it in on the "
                                            "program's edit page")
