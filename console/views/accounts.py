"""Sign-up, sign-in, email confirmation, password reset, sign-out and the user's language.

Failed sign-ins are counted and locked out by django-axes (console/lockout.py), on this page and the
admin site alike; sign-up, password reset and confirmation emails are rate-limited here.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from console.forms import EmailAuthenticationForm, SignUpForm
from console.next_page import next_path
from console.notify import account
from console.ratelimit import client_ip, rate_limit_exceeded
from console.services import (
    email_verification_send,
    email_verification_user,
    email_verify,
    invitation_by_token,
    user_language_keep,
    user_mark_email_verified,
    user_sign_up,
)


def _safe_next(request, default="dashboard"):
    return next_path(request) or default


def _over_limits(request, name: str, email: str, address_limit, email_limit=None) -> bool:
    """Count one request against the client's address and (when given) the email; True when either is over."""
    over = rate_limit_exceeded(f"{name}-ip:{client_ip(request)}", limit=address_limit[0], window=address_limit[1])
    if email_limit and email:
        over = rate_limit_exceeded(f"{name}-email:{email}", limit=email_limit[0], window=email_limit[1]) or over
    return over


def _verification_url_builder(request):
    return lambda token: request.build_absolute_uri(reverse("email_verify", args=[token]))


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    next_ = request.POST.get("next") or request.GET.get("next", "")
    context = {"form": form, "next": request.GET.get("next", ""), "invitation": _invitation_at(next_)}
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip().lower()
        if _over_limits(request, "sign-up", email, settings.SIGN_UP_RATE_LIMIT, settings.SIGN_UP_RATE_LIMIT):
            return render(request, "console/sign_up.html", {**context, "rate_limited": True}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(**form.cleaned_data, language=request.LANGUAGE_CODE)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            target = _safe_next(request, "organisation_create")
            if not _invited_here(target, user.email):  # accepting the invitation proves the address
                email_verification_send(user=user, url_builder=_verification_url_builder(request))
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if target == "organisation_create":
                messages.success(request, _("Welcome! Create an organisation to start shipping mini-programs."))
            else:
                messages.success(request, _("Welcome! Your account is ready."))
            return redirect(target)
    return render(request, "console/sign_up.html", context)


def _invitation_at(target: str):
    """The pending invitation whose page `target` is (sign-up came from its link), or None."""
    try:
        match = resolve(target.split("?", 1)[0]) if target else None
    except Resolver404:
        return None
    if match is None or match.url_name != "invitation_accept":
        return None
    invitation = invitation_by_token(match.kwargs["token"])
    return invitation if invitation is not None and invitation.is_pending else None


def _invited_here(target: str, email: str) -> bool:
    """Whether `target` is the page of a pending invitation sent to `email`."""
    invitation = _invitation_at(target)
    return invitation is not None and invitation.email.lower() == email.lower()


class SignInView(auth_views.LoginView):
    """Django's login view; django-axes refuses locked-out accounts and addresses before the password is checked."""

    template_name = "console/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user_language_keep(user=form.get_user(), language=self.request.LANGUAGE_CODE)
        return response


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    """Reset emails: a few per email address an hour, more per client address (else 429, no email)."""

    template_name = "console/password_reset.html"
    email_template_name = "console/email/password_reset.txt"
    subject_template_name = "console/email/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        email = (request.POST.get("email") or "").strip().lower()
        if _over_limits(request, "password-reset", email, settings.PASSWORD_RESET_ADDRESS_RATE_LIMIT,
                        settings.PASSWORD_RESET_RATE_LIMIT):
            context = self.get_context_data(form=self.get_form_class()(), rate_limited=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a password from the emailed link also proves the address."""

    template_name = "console/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user_mark_email_verified(user=form.user, proof="password_reset")
        account.password_changed(form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password signs out the account's other sessions (Django's session hash) and emails the owner."""

    template_name = "console/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        account.password_changed(form.user)
        return response


@require_http_methods(["GET", "POST"])
def email_verify_page(request, token):
    """Where the confirmation email links to; works signed in or out.

    Opening the link only asks; the button confirms (POST). Mail filters and link scanners open every
    link in a message: a GET that confirmed let them confirm an address signed up by someone else.
    """
    try:
        user = email_verify(token=token) if request.method == "POST" else email_verification_user(token)
    except ValidationError as exc:
        return render(request, "console/email_verify.html", {"error": " ".join(exc.messages)}, status=400)
    if request.method != "POST":
        return render(request, "console/email_verify.html", {"email": user.email, "confirmed": user.email_verified})
    messages.success(request, _("Thank you: %(email)s is confirmed.") % {"email": user.email})
    return redirect("dashboard" if request.user.is_authenticated else "login")


@require_POST
@login_required
def email_verify_resend(request):
    if request.user.email_verified:
        messages.info(request, _("Your email address is already confirmed."))
    elif email_verification_send(user=request.user, url_builder=_verification_url_builder(request)):
        messages.success(request, _("We sent a new confirmation link to %(email)s.") % {"email": request.user.email})
    else:
        messages.error(request, _("We already sent several links this hour. Check your spam folder, or try later."))
    return redirect(_safe_next(request, "dashboard"))


@require_POST
def set_language(request):
    """Switch the interface language; remembered on the account as well as in a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = redirect(_safe_next(request, "dashboard"))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response
