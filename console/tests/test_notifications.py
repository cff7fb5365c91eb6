"""Notifications: notify()/notify_staff() recipients, the /notifications/ page, the shell's unread badge, emails."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from console.models import AuditEvent, Notification, NotificationEvent, NotificationPreference
from console.notify import notify, notify_staff
from console.notify.services import notification_preferences_update
from console.roles import StaffGroup
from console.tests.factories import UserFactory


@pytest.fixture
def send(org, django_capture_on_commit_callbacks):
    """notify() about `org` with sensible defaults, running the after-commit work (emails, webhooks)."""

    def _send(**overrides):
        kwargs = {
            "organisation": org, "event": NotificationEvent.REVIEW_DECIDED, "title": "Version 1.2.0 approved",
            "body": "Reviewer notes: all good.", "url": f"/orgs/{org.slug}/", "payload": {"version": "1.2.0"},
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return notify(**kwargs)

    return _send


def _recipients(event=NotificationEvent.REVIEW_DECIDED):
    return sorted(Notification.objects.filter(event=event).values_list("user__email", flat=True))


# ---------------------------------------------------------------- who is notified


def test_every_member_who_can_view_is_notified_and_nobody_else(send, owner, member, viewer, outsider, operator_member):
    notifications = send()

    assert len(notifications) == 4
    assert _recipients() == ["dev@acme.test", "ops@acme.test", "owner@acme.test", "viewer@acme.test"]
    assert not Notification.objects.filter(user=outsider).exists()


def test_notification_keeps_title_body_link_payload_and_starts_unread(send, org, member):
    send(payload={"version": "1.2.0", "decision": "approved"})

    n = Notification.objects.get(user=member)
    assert (n.organisation, n.event, n.title) == (org, "review.decided", "Version 1.2.0 approved")
    assert n.body == "Reviewer notes: all good."
    assert n.url == "/orgs/acme-apps/"
    assert n.payload == {"version": "1.2.0", "decision": "approved"}
    assert n.read_at is None


def test_the_actor_is_not_notified_of_their_own_action(send, owner, member, viewer):
    send(actor=member)

    assert _recipients() == ["owner@acme.test", "viewer@acme.test"]


def test_explicit_recipients_are_narrowed_to_members(send, member, viewer, outsider):
    send(recipients=[member, outsider])

    assert _recipients() == ["dev@acme.test"], "an outsider never receives an organisation's notification"


def test_inactive_members_are_skipped(send, member, viewer):
    viewer.is_active = False
    viewer.save()

    send()

    assert _recipients() == ["dev@acme.test", "owner@acme.test"]


def test_unknown_event_is_refused(send):
    with pytest.raises(ValueError, match="unknown notification event"):
        send(event="program.exploded")


def test_dates_in_the_payload_are_stored_as_iso_strings(send, member):
    import datetime

    send(payload={"at": datetime.date(2026, 5, 1)})

    assert Notification.objects.get(user=member).payload == {"at": "2026-05-01"}


def test_notify_staff_reaches_the_group_only(db, member, django_capture_on_commit_callbacks, mailoutbox):
    reviewer = UserFactory(email="rev@platform.test")
    reviewer.groups.add(Group.objects.get(name=StaffGroup.REVIEWERS))
    operator = UserFactory(email="op@platform.test")
    operator.groups.add(Group.objects.get(name=StaffGroup.OPERATORS))

    with django_capture_on_commit_callbacks(execute=True):
        notify_staff(group=StaffGroup.REVIEWERS, event=NotificationEvent.REVIEW_MESSAGE, title="Developer replied",
                     body="Fixed the privacy text.", url="/reviews/7/", payload={"review": 7}, actor=member)

    assert _recipients(NotificationEvent.REVIEW_MESSAGE) == ["rev@platform.test"]
    assert Notification.objects.get(user=reviewer).organisation is None
    assert [m.to for m in mailoutbox] == [["rev@platform.test"]]


def test_notify_staff_refuses_an_unknown_group(db):
    with pytest.raises(ValueError, match="unknown staff group"):
        notify_staff(group="janitors", event=NotificationEvent.REVIEW_MESSAGE, title="t", body="b", payload={})


# ---------------------------------------------------------------- email


def test_each_recipient_gets_one_email_with_title_body_and_absolute_link(send, settings, member, mailoutbox):
    settings.SITE_URL = "https://console.example.com"
    send(recipients=[member])

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["dev@acme.test"]
    assert mail.subject == "[Mini-program console] Version 1.2.0 approved"
    assert "Reviewer notes: all good." in mail.body
    assert "https://console.example.com/orgs/acme-apps/" in mail.body
    assert "https://console.example.com/notifications/#preferences" in mail.body
    assert ".." not in mail.body and "p.m." not in mail.body  # "Sent on <date> 19:32.", not "7:32 p.m.."
    assert re.search(r"Sent on .+ \d\d:\d\d \(UTC[+-]\d{4}\)\.", mail.body)  # its zone: the Date header's is UTC


def test_email_is_sent_only_after_the_transaction_commits(org, member, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(organisation=org, event=NotificationEvent.SCAN_FINISHED, title="Scan finished", body="",
               payload={}, recipients=[member])

    assert mailoutbox == []
    assert len(callbacks) == 1


def test_email_is_written_in_the_recipients_language(send, org, owner, member, mailoutbox):
    member.language = "zh-hans"
    member.save()

    # A lazy title is rendered per recipient. The project's zh-hans catalog does not exist yet, so
    # the title is a string Django's own catalog translates; the subject's "[Mini-program console]"
    # prefix is marked for translation and stays English until the catalog is written.
    send(title=_lazy("Change password"), recipients=[owner, member])

    by_address = {m.to[0]: m for m in mailoutbox}
    chinese, english = by_address["dev@acme.test"], by_address["owner@acme.test"]
    with translation.override("zh-hans"):
        prefix = gettext("[Mini-program console] %(title)s") % {"title": "修改密码"}
    assert chinese.subject == prefix
    assert "修改密码" in chinese.subject
    assert english.subject == "[Mini-program console] Change password"
    assert "年" in chinese.body, "dates follow the recipient's language (Django's zh-hans formats)"
    assert "年" not in english.body
    assert Notification.objects.get(user=member).title == "修改密码"
    assert Notification.objects.get(user=owner).title == "Change password"


def test_the_list_reads_in_the_language_the_user_reads_now(send, client_for, member):
    """A Chinese walk: every notification from before the switch to Chinese stayed English in the list."""
    send(title=_lazy("Change password"), body=_lazy("Enter a valid date."), recipients=[member])  # made in English
    notification = Notification.objects.get(user=member)
    assert (notification.title, notification.texts["zh-hans"]["title"]) == ("Change password", "修改密码")

    member.language = "zh-hans"
    member.save()
    page = client_for(member).get(reverse("notifications")).content.decode()
    assert "修改密码" in page and "Change password" not in page
    assert "输入一个有效的日期。" in page and "Enter a valid date." not in page

    Notification.objects.filter(pk=notification.pk).update(texts={})  # a row from before the translations
    assert "Change password" in client_for(member).get(reverse("notifications")).content.decode()


def test_a_muted_event_is_not_emailed_but_still_shown_in_app(send, member, viewer, mailoutbox):
    notification_preferences_update(
        user=member, email_events=[e for e in NotificationEvent.values if e != NotificationEvent.REVIEW_DECIDED]
    )

    send(recipients=[member, viewer])

    assert [m.to for m in mailoutbox] == [["viewer@acme.test"]]
    assert Notification.objects.filter(user=member).count() == 1


def test_preferences_update_is_audited_and_refuses_unknown_events(member):
    preference = notification_preferences_update(user=member, email_events=[NotificationEvent.SCAN_FINISHED])

    assert preference.email_muted_events == sorted(set(NotificationEvent.values) - {"scan.finished"})
    event = AuditEvent.objects.get(action="notification_preference.update")
    assert event.actor == member
    assert event.after == {"email_muted_events": preference.email_muted_events}
    with pytest.raises(ValueError):
        notification_preferences_update(user=member, email_events=["nope"])


def test_preferences_form_on_the_page_saves(client_for, member):
    response = client_for(member).post(reverse("notification_preferences"), {"email_events": ["scan.finished"]})

    assert response.status_code == 302
    assert response.url == "/notifications/#preferences"
    assert NotificationPreference.objects.get(user=member).wants_email("scan.finished")
    assert not NotificationPreference.objects.get(user=member).wants_email("review.decided")
    page = client_for(member).get(reverse("notifications"))
    assert page.context["preference_form"].initial["email_events"] == ["scan.finished"]


# ---------------------------------------------------------------- the page


def test_page_lists_own_notifications_newest_first(send, client_for, member, outsider):
    send(title="First")
    send(title="Second")

    response = client_for(member).get(reverse("notifications"))

    assert response.status_code == 200
    assert [n.title for n in response.context["page"].object_list] == ["Second", "First"]
    assert list(client_for(outsider).get(reverse("notifications")).context["page"].object_list) == []


def test_unread_filter_hides_read_notifications(send, client_for, member):
    first, *_ = send(title="Old news", recipients=[member])
    send(title="Fresh", recipients=[member])
    client_for(member).get(reverse("notification_open", args=[first.pk]))

    response = client_for(member).get(reverse("notifications"), {"show": "unread"})

    assert [n.title for n in response.context["page"].object_list] == ["Fresh"]
    assert response.context["unread_count"] == 1


def test_a_body_keeps_its_paragraphs_and_one_marked_notification_is_singular(send, client_for, member):
    """A decision's reason and the operator's words are two paragraphs, not one run-on line."""
    send(title="Refused", body="Accounts not authorised\n\nNone of the accounts agreed.", recipients=[member])
    client = client_for(member)

    page = client.get(reverse("notifications")).content.decode()
    marked = client.post(reverse("notifications_read_all"), follow=True).content.decode()

    assert "Accounts not authorised<br><br>None of the accounts agreed." in page
    assert "1 notification marked as read." in marked


def test_page_is_paginated(client_for, member):
    Notification.objects.bulk_create(
        Notification(user=member, event="scan.finished", title=f"n{i}") for i in range(25)
    )

    first = client_for(member).get(reverse("notifications"))
    second = client_for(member).get(reverse("notifications"), {"page": 2})

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5


def test_opening_a_notification_marks_it_read_and_follows_its_link(send, client_for, member):
    notification = next(n for n in send() if n.user == member)

    response = client_for(member).get(reverse("notification_open", args=[notification.pk]))

    assert response.status_code == 302
    assert response.url == "/orgs/acme-apps/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_never_redirects_off_site(send, client_for, member):
    notification = send(url="https://evil.test/phish", recipients=[member])[0]

    response = client_for(member).get(reverse("notification_open", args=[notification.pk]))

    assert response.url == reverse("notifications")


def test_mark_all_read(send, client_for, member, owner):
    send()
    send()

    response = client_for(member).post(reverse("notifications_read_all"))

    assert response.status_code == 302
    assert Notification.objects.filter(user=member, read_at=None).count() == 0
    assert Notification.objects.filter(user=owner, read_at=None).count() == 2, "only the caller's are marked"


def test_outsider_gets_404_on_someone_elses_notification(send, client_for, member, outsider):
    notification = next(n for n in send() if n.user == member)

    response = client_for(outsider).get(reverse("notification_open", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("notifications"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ---------------------------------------------------------------- the shell's badge


def test_shell_shows_the_unread_count_on_the_bell(send, client_for, member, org):
    send()
    send()
    send()

    html = client_for(member).get(reverse("members", args=[org.slug])).content.decode()

    assert 'class="bell-badge" data-unread="3">3</span>' in html
    assert 'aria-label="Notifications, 3 unread"' in html


def test_shell_shows_no_badge_when_all_is_read(send, client_for, member, org):
    send()
    client_for(member).post(reverse("notifications_read_all"))

    html = client_for(member).get(reverse("members", args=[org.slug])).content.decode()

    assert "bell-badge" not in html
    assert f'href="{reverse("notifications")}"' in html


def test_shell_caps_the_badge_at_99_plus(client_for, member, org):
    Notification.objects.bulk_create(Notification(user=member, event="scan.finished", title="x") for _ in range(120))

    html = client_for(member).get(reverse("members", args=[org.slug])).content.decode()

    assert 'data-unread="100">99+</span>' in html


def test_shell_counts_unread_with_one_query(send, client_for, member, org):
    send()
    client = client_for(member)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("members", args=[org.slug]))

    notification_queries = [q["sql"] for q in queries.captured_queries if "console_notification" in q["sql"]]
    assert len(notification_queries) == 1
    assert "COUNT(" in notification_queries[0].upper()
