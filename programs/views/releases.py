"""The lifecycle actions of the version and program pages: small POST views around programs/releases.py.

Each view checks access (outsiders 404, members without WRITE_PROGRAMS 403), calls one service,
turns its ValidationError or Conflict into messages and redirects back to the page it came from.
Double submissions are harmless: the services lock the program and re-read the version, so the
second of two identical clicks is refused with a clear message.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.exceptions import Conflict
from console.roles import Capability
from console.views.decorators import org_page
from programs import releases, scans
from programs.forms import RaiseForm, ReleaseForm, SubmitForm, form_error_messages
from programs.views.access import program_in_org, version_in_org
from programs.views.versions import version_page

CONFLICT = _("Someone else changed this version a moment ago; reload the page to see it.")


def _version_url(membership, version) -> str:
    return reverse("version_detail", args=[membership.organisation.slug, version.program.appid, version.version])


def _run(request, action: Callable[[], object], success: str) -> bool:
    """Call the service; say what happened. True when it succeeded."""
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return False
    except Conflict as exc:
        messages.error(request, str(exc) or CONFLICT)
        return False
    messages.success(request, success)
    return True


def _refused(request, form) -> None:
    for message in form_error_messages(form):
        messages.error(request, message)


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_submit(request, membership, appid, version):
    obj = version_in_org(request, membership, appid, version)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        _refused(request, form)
    elif _run(request, lambda: releases.version_submit(version=obj, actor=request.user, **form.cleaned_data),
              _("Version %(v)s is submitted for review.") % {"v": obj.version}):
        return redirect(_version_url(membership, obj))
    # Refused: show the page again with what was typed, rather than losing the notes.
    return version_page(request, membership, version_in_org(request, membership, appid, version),
                        submit_form=form, status=400)


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_rescan(request, membership, appid, version):
    obj = version_in_org(request, membership, appid, version)
    _run(request, lambda: scans.version_rescan(version=obj, actor=request.user),
         _("Version %(v)s is queued to be scanned again, against the program's settings as they are now.")
         % {"v": obj.version})
    return redirect(_version_url(membership, obj))


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_withdraw(request, membership, appid, version):
    obj = version_in_org(request, membership, appid, version)
    _run(request, lambda: releases.version_withdraw(version=obj, actor=request.user),
         _("Version %(v)s is withdrawn; it is a development version again.") % {"v": obj.version})
    return redirect(_version_url(membership, obj))


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_set_trial(request, membership, appid, version):
    obj = version_in_org(request, membership, appid, version)
    _run(request, lambda: releases.version_set_trial(version=obj, actor=request.user),
         _("Version %(v)s is now the trial version; testers open it from the QR code or link.") % {"v": obj.version})
    return redirect(_version_url(membership, obj))


def _release_message(version, percentage: int) -> str:
    if percentage == 100:
        return _("Version %(v)s is released to everyone.") % {"v": version.version}
    return _("Version %(v)s is being released to %(p)d%% of users.") % {"v": version.version, "p": percentage}


def _release_to(request, membership, appid, version, form, percentage_of):
    """Release (or raise) `version` to the percentage the valid `form` chose, then back to the version page."""
    obj = version_in_org(request, membership, appid, version)
    if form.is_valid():
        percentage = percentage_of(form)
        _run(request, lambda: releases.version_release(version=obj, actor=request.user, percentage=percentage),
             _release_message(obj, percentage))
    else:
        _refused(request, form)
    return redirect(_version_url(membership, obj))


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_release(request, membership, appid, version):
    """Start a release: everyone, or phased at 1–99 %."""
    return _release_to(request, membership, appid, version, ReleaseForm(request.POST),
                       lambda form: form.chosen_percentage())


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_raise(request, membership, appid, version):
    """Raise a phased release (only up; 100 releases it to everyone)."""
    return _release_to(request, membership, appid, version, RaiseForm(request.POST),
                       lambda form: form.cleaned_data["chosen"])


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_cancel_release(request, membership, appid, version):
    obj = version_in_org(request, membership, appid, version)
    _run(request, lambda: releases.version_cancel_phase(version=obj, actor=request.user),
         _("The phased release of %(v)s is cancelled; everyone gets the current release again.") % {"v": obj.version})
    return redirect(_version_url(membership, obj))


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def version_rollback(request, membership, appid, version):
    """Roll the program back to this (earlier released) version; from the program page's Releases card."""
    program = program_in_org(request, membership, appid)
    target = version_in_org(request, membership, appid, version)
    _run(request, lambda: releases.program_rollback(program=program, target=target, actor=request.user),
         _("Rolled back: everyone gets %(v)s again.") % {"v": target.version})
    return redirect(reverse("program_detail", args=[membership.organisation.slug, appid]) + "#releases")
