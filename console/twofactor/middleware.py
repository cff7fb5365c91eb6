"""Staff (and anyone who turned two-factor on) reach nothing but the second-factor pages until they pass it."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from console.twofactor.services import has_second_factor, second_factor_required

# Pages an unverified session may open: the second-factor steps themselves and the way out.
EXEMPT_URL_NAMES = {
    "two_factor_verify", "two_factor_setup", "logout", "set_language", "email_verify", "email_verify_sent",
}
EXEMPT_PREFIXES = ("/static/", "/media/", "/healthz/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (user.is_authenticated and not user.is_verified() and not _exempt(request)
                and second_factor_required(user)):
            return _refuse(request, user)
        return self.get_response(request)


def _exempt(request) -> bool:
    if request.path.startswith(EXEMPT_PREFIXES):
        return True
    if request.path.startswith("/api/") and _carries_api_key(request):
        return True
    try:
        return resolve(request.path_info).url_name in EXEMPT_URL_NAMES
    except Resolver404:
        return False


def _carries_api_key(request) -> bool:
    """An API call with a key acts as the key's creator, who is not asked for a second factor.

    Only API paths: there DRF reads the key first, and a wrong key is a 401, never the session's user.
    Pages read the session whatever the header says, so a header there must not stand in for the code.
    """
    return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ")


def _refuse(request, user):
    if request.path.startswith("/api/"):
        message = _("Finish signing in with your second factor in the browser first.")
        return JsonResponse({"error": {"code": "two_factor_required", "message": message, "fields": {}}}, status=403)
    step = "two_factor_verify" if has_second_factor(user) else "two_factor_setup"
    return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
