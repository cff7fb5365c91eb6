"""Lock-out of repeated failed sign-ins, on every door, with django-axes.

The portal sign-in, the admin sign-in and API keys all count their failures in axes' AccessAttempt
table (visible, and resettable, in the admin site). Two locks:

- an account (the email tried) is locked after LOGIN_FAILURE_LIMIT failures from any address;
- a client address is locked after LOGIN_FAILURE_LIMIT x LOGIN_ADDRESS_FACTOR failures on any
  accounts or API keys (guessing keys has no account, so only the address counts there).

A lock lifts LOGIN_LOCKOUT_MINUTES after the last failure. While locked, even the right password is
refused: the portal and the admin answer 429 with a page saying so, the API 429 in its error shape;
both carry Retry-After. A successful sign-in clears the failures of that account only, so an attacker
cannot clear an address's count by signing in to an account of their own.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled

API_KEY_CREDENTIAL = "api_key"


def attempted_username(request, credentials=None) -> str | None:
    """The email a sign-in tried, lower-cased like stored accounts; None for an API key."""
    if credentials and credentials.get(API_KEY_CREDENTIAL):
        return None
    data = credentials if credentials else getattr(request, "POST", {})
    email = (data.get("username") or "").strip().lower()
    return email or None


def attempt_address(request) -> str | None:
    """The client address axes records: the socket's, like every other limit here (None when there is none)."""
    return request.META.get("REMOTE_ADDR") or None


def lockout_parameters(request, credentials=None) -> list:
    if credentials and credentials.get(API_KEY_CREDENTIAL):
        return ["ip_address"]
    return ["username", "ip_address"]


class ConsoleAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with a looser limit for addresses than for accounts (see the module)."""

    def get_failures(self, request, credentials=None) -> int:
        parameters = get_lockout_parameters(request, credentials)
        weighted = []
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == "ip_address":
                failures = math.floor(failures / settings.LOGIN_ADDRESS_FACTOR)
            weighted.append(failures)
        return max(weighted, default=0)

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def retry_after_seconds() -> int:
    """A lock lifts this long after the last failure; every refused attempt counts as one."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out client sees (axes calls this from its middleware)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": LockedOut.default_code, "message": str(LockedOut.default_detail),
                                           "fields": {}}}, status=429)
    else:
        from console.forms import EmailAuthenticationForm

        context = {"form": EmailAuthenticationForm(request), "rate_limited": True,
                   "next": request.POST.get("next", "")}
        response = render(request, "console/login.html", context, status=429)
    response["Retry-After"] = str(retry_after_seconds())
    return response


# ---------------------------------------------------------------- API keys


class LockedOut(Throttled):
    default_code = "locked_out"
    default_detail = _("Too many failed attempts from this address. Try again later.")


def api_key_locked(request) -> bool:
    """Is this client address locked out (checked before a presented API key is even looked up)?"""
    django_request = getattr(request, "_request", request)
    AxesProxyHandler.update_request(django_request)
    return not AxesProxyHandler.is_allowed(django_request, {API_KEY_CREDENTIAL: True})


def api_key_failed(request) -> None:
    """Count one wrong API key against the client's address (the key itself is never recorded)."""
    django_request = getattr(request, "_request", request)
    # Axes records the request's GET and POST data: hand it a bare copy, so that a failed upload's body
    # is never parsed (nor the key, in a form field, stored).
    bare = HttpRequest()
    bare.META, bare.path, bare.path_info, bare.method = (
        django_request.META, django_request.path, django_request.path_info, django_request.method)
    user_login_failed.send(sender=__name__, credentials={API_KEY_CREDENTIAL: True}, request=bare)
    django_request.axes_locked_out = getattr(bare, "axes_locked_out", False)
