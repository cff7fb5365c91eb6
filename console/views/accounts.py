"""Sign-up, sign-in with a rate limit, sign-out and the user's language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.forms import EmailAuthenticationForm, SignUpForm
from console.ratelimit import client_ip, rate_limit_exceeded, rate_limit_reset
from console.services import user_sign_up


def _safe_next(request, default="dashboard"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(**form.cleaned_data, language=request.LANGUAGE_CODE)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            target = _safe_next(request, "organisation_create")
            if target == "organisation_create":
                messages.success(request, _("Welcome! Create an organisation to start shipping mini-programs."))
            else:
                messages.success(request, _("Welcome! Your account is ready."))
            return redirect(target)
    return render(request, "console/sign_up.html", {"form": form, "next": request.GET.get("next", "")})


class RateLimitedLoginView(auth_views.LoginView):
    """Django's login view with a limit per client address and per email address."""

    template_name = "console/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        limit, window = settings.LOGIN_RATE_LIMIT
        email = (request.POST.get("username") or "").strip().lower()
        over_ip = rate_limit_exceeded(f"login-ip:{client_ip(request)}", limit=limit * 3, window=window)
        over_email = rate_limit_exceeded(f"login-email:{email}", limit=limit, window=window)
        if over_ip or over_email:
            form = self.get_form()
            form.errors.clear()
            context = self.get_context_data(form=form, rate_limited=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The limit is on failed attempts: signing in clears the email's count (not the address's).
        rate_limit_reset(f"login-email:{form.cleaned_data['username']}")
        return super().form_valid(form)


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
