"""The second step of signing in, enrolling an authenticator app, and the account's two-factor page."""

import base64
import io

import qrcode
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from console.forms import add_service_errors
from console.next_page import next_path
from console.twofactor import services
from console.twofactor.forms import CodeForm, MoveForm


@login_required
def two_factor_verify(request):
    if request.user.is_verified():
        return redirect(next_path(request) or "dashboard")
    if not services.has_second_factor(request.user):
        return redirect("two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.second_factor_check(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if device.name == services.RECOVERY_DEVICE_NAME:
                messages.warning(request, _("You used a recovery code; %(n)d left. Make new ones on the "
                                            "two-factor page when you run low.") % {
                    "n": services.recovery_codes_left(request.user)})
            return redirect(next_path(request) or "dashboard")
        form.add_error("code", _("That code is not right, or it was already used. Wait for a new code and try "
                                 "again."))
    context = {"form": form, "next": next_path(request), "auth_layout": True}
    return render(request, "console/twofactor/verify.html", context)


@login_required
def two_factor_setup(request):
    """Enrol an authenticator app: scan the QR code, type one code; the recovery codes are shown once."""
    if services.has_second_factor(request.user) and not request.user.is_verified():
        return redirect("two_factor_verify")
    moving = services.has_second_factor(request.user)  # a verified session replacing its authenticator
    form = (MoveForm if moving else CodeForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.totp_device_confirm(user=request.user, token=form.cleaned_data["code"],
                                                         current_code=form.cleaned_data.get("current_code", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            otp_login(request, device)
            return _show_recovery_codes(request, codes, first_time=not moving)
    device = services.totp_device_start(user=request.user)
    context = {
        "form": form, "moving": moving, "next": next_path(request), "qr": qr_data_uri(device.config_url),
        "secret": services.base32_secret(device), "required": request.user.is_platform_staff,
        "auth_layout": not request.user.is_verified(),
    }
    return render(request, "console/twofactor/setup.html", context)


@login_required
def two_factor_settings(request):
    context = {
        "enabled": services.has_second_factor(request.user),
        "required": request.user.is_platform_staff,
        "codes_left": services.recovery_codes_left(request.user),
    }
    return render(request, "console/twofactor/settings.html", context)


@require_POST
@login_required
def recovery_codes_new(request):
    try:
        codes = services.recovery_codes_regenerate(user=request.user, code=request.POST.get("code", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("two_factor_settings")
    return _show_recovery_codes(request, codes, first_time=False)


@require_POST
@login_required
def two_factor_off(request):
    try:
        services.two_factor_disable(user=request.user, code=request.POST.get("code", ""))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("two_factor_settings")


def _show_recovery_codes(request, codes: list[str], *, first_time: bool):
    context = {"codes": codes, "first_time": first_time, "next": next_path(request)}
    response = render(request, "console/twofactor/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


def qr_data_uri(text: str) -> str:
    """The authenticator's setup link as an inline PNG (the CSP allows data: images, not scripts)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
