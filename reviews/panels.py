"""The review thread on the developer's version page (programs cannot import reviews: it renders the slot)."""

from django.urls import reverse

from console.panels import VERSION_PAGE, Panel, register_panel
from console.roles import Capability, role_can
from reviews.forms import MessageForm
from reviews.selectors import latest_decision, rejection_to_answer, thread


@register_panel(VERSION_PAGE)
def review_thread_panel(request, *, version, membership) -> Panel | None:
    """What the reviewers decided and said, and the developer's answer form; hidden until first submitted."""
    if version.submitted_at is None:
        return None
    messages = list(thread(version))
    decision = latest_decision(version, since=version.submitted_at)
    return Panel(
        template="reviews/panels/version_thread.html",
        context={
            "version": version, "messages": messages, "decision": decision,
            "awaiting": version.status == version.Status.IN_REVIEW and version.awaiting_developer,
            "can_answer": role_can(membership.role, Capability.WRITE_PROGRAMS),
            "form": MessageForm(), "action": reverse("review_answer", args=[version.pk]),
        },
        order=20,
    )


@register_panel(VERSION_PAGE)
def previous_rejection_panel(request, *, version, membership) -> Panel | None:
    """Before a version is submitted: why the last one was rejected, so that this one answers it (the page of a
    resubmission said nothing of it)."""
    if version.submitted_at is not None or version.status not in (version.Status.READY, version.Status.SCAN_FAILED):
        return None
    rejection = rejection_to_answer(version)
    if rejection is None:
        return None
    return Panel(template="reviews/panels/previous_rejection.html", context={"decision": rejection}, order=15)
