"""What programs tell the organisation: a scan finished, a release changed."""

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from console.notify import NotificationEvent, notifications_add_note, notify
from programs.models import Version
from programs.wording import finding_counts


def version_url(version: Version) -> str:
    program = version.program
    return reverse("version_detail", args=[program.organisation.slug, program.appid, version.version])


def _payload(version: Version, **extra) -> dict:
    return {"appid": version.program.appid, "program": version.program.name, "version": version.version,
            "status": version.status, **extra}


def notify_scan_finished(version: Version) -> None:
    passed = version.status == Version.Status.READY
    title = format_lazy(
        _("{program} {version}: scan passed") if passed else _("{program} {version}: scan found errors"),
        program=version.program.name, version=version.version,
    )
    body = format_lazy(_("{counts}."), counts=finding_counts(
        errors=version.errors, warnings=version.warnings, notices=version.notices))
    notify(organisation=version.program.organisation, event=NotificationEvent.SCAN_FINISHED, title=title,
           body=body, url=version_url(version),
           payload=_payload(version, errors=version.errors, warnings=version.warnings, risk=version.risk_score))


def scan_failure_replaced(version: Version) -> None:
    """Say on the "scan found errors" notifications of a failed `version` that a new upload replaced it.

    Their link names the version string, which from now on shows the new package: without a word, a
    developer following it would find a clean version under a message saying it failed. They are marked
    read too: the failure needs nothing more from anyone, the new package gets its own notification."""
    notifications_add_note(
        organisation=version.program.organisation, event=NotificationEvent.SCAN_FINISHED,
        about={"appid": version.program.appid, "version": version.version}, since=version.created_at,
        note=format_lazy(_("A new package has since replaced this one as {version}; the link shows the new one."),
                         version=version.version),
    )


RELEASE_TITLES = {
    "release": _("{program} {version} is released to everyone"),
    # xgettext:no-python-format
    "release_phased": _("{program} {version} is being released to {percentage}% of users"),
    # xgettext:no-python-format
    "release_raise": _("{program} {version} now reaches {percentage}% of users"),
    "release_cancel": _("The phased release of {program} {version} was cancelled"),
    "rollback": _("{program} was rolled back to {version}"),
}


def notify_release_changed(version: Version, *, change: str, actor=None, api_key=None) -> None:
    """Everyone in the organisation but the person who clicked. A change made with an API key (a CI
    job) is told to its key's owner too: nobody clicked, and in a one-person organisation nobody
    else would ever hear of it."""
    if api_key is not None:
        actor = None
    percentage = version.phased_percentage or 100
    title = format_lazy(RELEASE_TITLES[change], program=version.program.name, version=version.version,
                        percentage=percentage)
    notify(organisation=version.program.organisation, event=NotificationEvent.RELEASE_CHANGED, title=title,
           body=title, url=version_url(version), actor=actor,
           payload=_payload(version, change=change, percentage=percentage))
