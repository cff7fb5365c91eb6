"""The trial version: its QR code (a PNG drawn here), the tester list and the page the code opens."""

import io

import qrcode
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from console.roles import Capability
from console.views.decorators import org_page
from hosts.models import Host
from programs import releases
from programs.forms import TesterForm, form_error_messages
from programs.models import TrialTester
from programs.views.access import program_in_org, trial_program_for_user

QR_BOX_PIXELS = 8


def qr_png(text: str) -> bytes:
    """`text` as a QR code PNG (error correction M, a two-module quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=QR_BOX_PIXELS, border=2)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def trial_context(program, *, can_write: bool) -> dict:
    """The program page's Trial card."""
    return {
        "trial": program.trial_version,
        "trial_link": releases.trial_link(program),
        "testers": program.testers.select_related("added_by"),
        "tester_form": TesterForm(),
        "can_manage_testers": can_write,
    }


@cache_control(private=True, max_age=300)
@org_page()
def trial_qr(request, membership, appid):
    """The trial link as a QR code image, for members only (the link itself still checks who opens it)."""
    program = program_in_org(request, membership, appid)
    return HttpResponse(qr_png(releases.trial_link(program)), content_type="image/png")


def _trial_card(membership, program) -> str:
    return reverse("program_detail", args=[membership.organisation.slug, program.appid]) + "#trial"


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def trial_tester_add(request, membership, appid):
    program = program_in_org(request, membership, appid)
    form = TesterForm(request.POST)
    if not form.is_valid():
        for message in form_error_messages(form):
            messages.error(request, message)
        return redirect(_trial_card(membership, program))
    try:
        tester = releases.tester_add(program=program, actor=request.user, email=form.cleaned_data["email"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(email)s can now open the trial version.") % {"email": tester.email})
    return redirect(_trial_card(membership, program))


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def trial_tester_remove(request, membership, appid, tester_id):
    program = program_in_org(request, membership, appid)
    tester = get_object_or_404(TrialTester, pk=tester_id, program=program)
    releases.tester_remove(tester=tester, actor=request.user)
    messages.success(request, _("%(email)s is no longer a tester.") % {"email": tester.email})
    return redirect(_trial_card(membership, program))


@login_required
def trial_open(request, appid):
    """What the trial QR code opens: for the organisation's members and the program's named testers."""
    program, membership = trial_program_for_user(request.user, appid)
    context = {
        "program": program, "trial": program.trial_version, "membership": membership,
        "hosts": Host.objects.filter(active=True)[:4],
    }
    return render(request, "programs/trial_open.html", context)
