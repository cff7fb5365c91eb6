"""Writes for notifications: the `notify` API domain apps call, read marks and email preferences.

A notification is recorded in-app for each recipient, emailed to those who did not turn that
event off (in their own language, after the transaction commits), and, for organisation events,
sent to the organisation's webhook endpoints subscribed to it.
"""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from console.models import Notification, NotificationEvent, NotificationPreference, Organisation, User
from console.notify.selectors import organisation_recipients, staff_recipients
from console.notify.webhooks import webhook_deliveries_create
from console.roles import StaffGroup
from console.services import audit_record


@dataclass(frozen=True)
class _Message:
    """What is being notified, before it is rendered for each recipient."""

    organisation: Organisation | None
    event: str
    title: object  # a str or a lazy translation (gettext_lazy, format_lazy): rendered per recipient
    body: object
    url: str
    payload: dict


def notify(
    *,
    organisation: Organisation,
    event: str,
    title: str,
    body: str,
    url: str = "",
    payload: dict,
    recipients: Iterable[User] | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """Tell an organisation about `event`: in-app, by email, and to its subscribed webhook endpoints.

    Recipients default to every member whose role can view the organisation; explicit `recipients`
    are narrowed to those members (a notification never leaves the organisation). The `actor` is
    not notified of their own action. `title` and `body` may be lazy translations, so that each
    recipient reads them in their own language; `url` is a path in the console ("/orgs/…").
    Emails and webhook requests are queued after the surrounding transaction commits.
    """
    message = _message(organisation, event, title, body, url, payload)
    users = _without_actor(organisation_recipients(organisation, among=recipients), actor)
    with transaction.atomic():
        notifications = _record(message, users)
        with translation.override(settings.LANGUAGE_CODE):
            webhook_deliveries_create(
                organisation=organisation, event=event, title=str(title), url=absolute_url(url),
                payload=message.payload, event_id=str(uuid.uuid4()),
            )
    return notifications


def notify_staff(
    *,
    group: str,
    event: str,
    title: str,
    body: str,
    url: str = "",
    payload: dict,
    organisation: Organisation | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """Tell platform staff in `group` (a StaffGroup name), in-app and by email; no webhooks.

    E.g. the reviewers of a version when its developer replies. `organisation` only says which
    organisation the event concerns; staff need not be its members.
    """
    if group not in StaffGroup.ALL:
        raise ValueError(f"unknown staff group {group!r}")
    message = _message(organisation, event, title, body, url, payload)
    with transaction.atomic():
        return _record(message, _without_actor(staff_recipients(group), actor))


def _message(organisation, event, title, body, url, payload) -> _Message:
    if event not in NotificationEvent.values:
        raise ValueError(f"unknown notification event {event!r}; add it to NotificationEvent")
    # One JSON round trip: dates and decimals become strings once, identically in every copy.
    clean = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return _Message(organisation, event, title, body, url, clean)


def _without_actor(users, actor: User | None) -> list[User]:
    return [user for user in users if actor is None or user.pk != actor.pk]


def _record(message: _Message, users: list[User]) -> list[Notification]:
    texts = _texts(message)
    rows = []
    for user in users:
        mine = texts.get(user_language(user)) or texts[settings.LANGUAGE_CODE]
        rows.append(Notification(
            user=user, organisation=message.organisation, event=message.event, title=mine["title"],
            body=mine["body"], url=message.url, payload=message.payload, texts=texts,
        ))
    notifications = Notification.objects.bulk_create(rows)
    for notification, user in zip(notifications, users):
        notification.user = user
        if _wants_email(user, message.event):
            _queue_email(notification)
    return notifications


def _texts(message: _Message) -> dict[str, dict[str, str]]:
    """The title and body in every language of the console, rendered once whoever the recipients are."""
    titles, bodies = _rendered(message.title), _rendered(message.body)
    return {language: {"title": titles[language][:200], "body": bodies[language]} for language in titles}


def notifications_add_note(*, organisation: Organisation, event: str, about: dict, since, note) -> int:
    """Add `note` (a lazy translation) under the body of the `event` notifications about `about` (values their
    payload holds, e.g. an AppID and a version) created since `since`, in every language, and mark them read.
    For notifications that no longer hold: a link is a path, so when what it named is replaced, the old
    message would otherwise describe the new thing. They are found by their payload, not by their link:
    a link holds the organisation's short name, which staff may change. Returns how many were changed."""
    notes = _rendered(note)
    payload = {f"payload__{key}": value for key, value in about.items()}
    stale = list(Notification.objects.filter(organisation=organisation, event=event, created_at__gte=since,
                                             **payload))
    now = timezone.now()
    for notification in stale:
        _append(notification, notes)
        notification.read_at = notification.read_at or now
    Notification.objects.bulk_update(stale, ["body", "texts", "read_at"])
    return len(stale)


def _rendered(text) -> dict[str, str]:
    """A lazy translation in every language of the console."""
    rendered = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            rendered[language] = str(text)
    return rendered


def _append(notification: Notification, notes: dict[str, str]) -> None:
    # `body` is in the language the user had when it was sent: the one whose text it equals.
    language = next((lang for lang, text in notification.texts.items() if text.get("body") == notification.body),
                    settings.LANGUAGE_CODE)
    for lang, text in notification.texts.items():
        text["body"] = _joined(text.get("body", ""), notes.get(lang, notes[settings.LANGUAGE_CODE]))
    notification.body = _joined(notification.body, notes.get(language, notes[settings.LANGUAGE_CODE]))


def _joined(body: str, note: str) -> str:
    return f"{body}\n{note}" if body else note


# ---------------------------------------------------------------- email


def user_language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


def _wants_email(user: User, event: str) -> bool:
    try:
        return user.notification_preference.wants_email(event)
    except NotificationPreference.DoesNotExist:
        return True


def _queue_email(notification: Notification) -> None:
    user = notification.user
    with translation.override(user_language(user)):
        context = {
            "notification": notification,
            "url": absolute_url(notification.url),
            "preferences_url": absolute_url(reverse("notifications") + "#preferences"),
        }
        subject = render_to_string("console/email/notification_subject.txt", context)
        body = render_to_string("console/email/notification.txt", context)
    transaction.on_commit(partial(_send_email, " ".join(subject.split()), body, user.email))


def _send_email(subject: str, body: str, recipient: str) -> None:
    from console.tasks import send_email

    send_email.delay(subject=subject, body=body, recipients=[recipient], from_email=settings.DEFAULT_FROM_EMAIL)


# ---------------------------------------------------------------- reading


def notification_mark_read(*, notification: Notification) -> bool:
    """Mark one notification read; False when it already was (two clicks, one write)."""
    now = timezone.now()
    marked = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    if marked:
        notification.read_at = now
    return bool(marked)


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_update(*, user: User, email_events: Iterable[str]) -> NotificationPreference:
    """Email the user about `email_events` only; every other event stays in-app."""
    wanted = set(email_events)
    unknown = wanted - set(NotificationEvent.values)
    if unknown:
        raise ValueError(f"unknown notification events {sorted(unknown)}")
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    before = {"email_muted_events": preference.email_muted_events}
    preference.email_muted_events = sorted(set(NotificationEvent.values) - wanted)
    preference.updated_at = timezone.now()
    preference.save(update_fields=["email_muted_events", "updated_at"])
    audit_record(
        action="notification_preference.update", target=preference, actor=user,
        before=before, after={"email_muted_events": preference.email_muted_events},
    )
    return preference
