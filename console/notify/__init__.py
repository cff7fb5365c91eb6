"""Notifications: in-app, email and signed webhooks (SPEC §8).

The API for domain apps (console imports none of them; they call this):

    from console.notify import NotificationEvent, notify, notify_staff

    notify(organisation=org, event=NotificationEvent.REVIEW_DECIDED, title=..., body=..., url=...,
           payload={...}, recipients=None, actor=request.user)
    notify_staff(group=StaffGroup.REVIEWERS, event=NotificationEvent.REVIEW_MESSAGE, title=..., body=...,
                 url=..., payload={...}, organisation=org, actor=developer)
    notifications_add_note(organisation=org, event=NotificationEvent.SCAN_FINISHED, about={...}, since=..., note=...)

Modules: `services` (notify, read marks, preferences), `webhooks` (endpoints, deliveries, attempts),
`selectors` (reads and access helpers), `transport` (signing, SSRF guard, HTTP; no ORM), `forms`.
"""

from console.models import NotificationEvent
from console.notify.services import notifications_add_note, notify, notify_staff

__all__ = ["NotificationEvent", "notifications_add_note", "notify", "notify_staff"]
