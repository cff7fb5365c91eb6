"""Signed host calls (SPEC §9 "Host calls"): the DRF authentication every `/api/v1/hosts/{host}/…` view uses.

In order: the three headers are present; the timestamp is at most HOST_SIGNATURE_MAX_AGE seconds old
and not ahead of our clock by more than HOST_CLOCK_SKEW_SECONDS; the key is active and the signature
matches (one answer for an unknown key, a revoked key and a wrong signature: nothing says which part
was wrong); the URL's `{host}` is the key's host (404 otherwise, as for any outsider); then, in one
atomic step of the runtime store, the key's rate limit (429 with Retry-After) and the replay check: a
signature already seen within the window is refused (401 `replayed`), unless the call only reads (GET):
reading twice changes nothing, and two renders of one profile page in the same second sign the same call.

A view with `admits_itself = True` (the share gate) gets the rate bucket and the nonce in `request.auth`
instead and must pass them to the store's step that does its own work, so that admission, counting and
remembering the answer are one atomic step: a replayed share check then repeats its first answer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from hosts import signing
from hosts.runtime import Admission, Quota, host_store
from hosts.selectors import CredentialFacts, active_credential

RATE_WINDOW = 60  # seconds: HostCredential.requests_per_minute


@dataclass(frozen=True)
class HostCall:
    """`request.auth` of an authenticated host call."""

    credential: CredentialFacts
    nonce: str
    rate: Quota  # this call's rate-limit bucket, already counted unless the view admits itself
    reads_only: bool = False  # a GET: a replay of it is answered again

    @property
    def host_code(self) -> str:
        return self.credential.host_code


def _refuse(code: str, message: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message, code=code)


def _check_timestamp(raw: str, now: float) -> None:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise _refuse("invalid_timestamp", _("X-Host-Timestamp must be the time in whole Unix seconds."))
    age = now - int(raw)
    if age > settings.HOST_SIGNATURE_MAX_AGE or age < -settings.HOST_CLOCK_SKEW_SECONDS:
        raise _refuse("stale_timestamp", _("X-Host-Timestamp is more than %(n)d seconds old, or in the future; "
                                           "sign each call when you send it.") % {"n": settings.HOST_SIGNATURE_MAX_AGE})


def nonce_ttl() -> float:
    """How long a signature is remembered: as long as its timestamp could be accepted, and a second."""
    return settings.HOST_SIGNATURE_MAX_AGE + settings.HOST_CLOCK_SKEW_SECONDS + 1


def refuse_if_stopped(call: HostCall, admission: Admission | None) -> None:
    """429 over the rate limit, 401 for a replay (views that answer replays check `prior` first)."""
    if admission is None:
        return
    if admission.retry_after is not None:
        wait = max(1, math.ceil(admission.retry_after))
        throttled = exceptions.Throttled(code="rate_limited", detail=_(
            "This key made more than %(n)d calls this minute; try again in %(s)d seconds.") % {
            "n": call.credential.requests_per_minute, "s": wait})
        throttled.wait = wait  # set after: given to Throttled(), DRF appends "Expected available in …" again
        raise throttled
    if admission.replayed and not call.reads_only:
        raise _refuse("replayed", _("This signed request was already received; sign each call afresh."))


def signed_path(request) -> str:
    """The path and query the client sent, as the signature covers them."""
    query = request.META.get("QUERY_STRING", "")
    return request.path + (f"?{query}" if query else "")


class LengthRequired(exceptions.APIException):
    """WSGI reads a request body by its Content-Length: a chunked body arrives empty, and its signature, made
    over the real bytes, failed as `invalid_signature`, which sent integrators looking at their keys."""

    status_code = 411
    default_code = "length_required"
    default_detail = gettext_lazy("Send the body with a Content-Length header, not chunked: a chunked body cannot "
                                  "be read here, so its signature cannot be checked.")


def authenticate_host_call(request, url_host: str | None, *, admits_itself: bool = False) -> HostCall:
    """Check a Django request's signature, timestamp and host; admit it unless the caller admits itself.

    Raises DRF's NotAuthenticated / AuthenticationFailed (401), NotFound (404) or Throttled (429).
    """
    meta = request.META
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        raise LengthRequired()
    key_id = meta.get("HTTP_X_HOST_KEY", "")
    timestamp = meta.get("HTTP_X_HOST_TIMESTAMP", "")
    given = meta.get("HTTP_X_HOST_SIGNATURE", "")
    if not (key_id and timestamp and given):
        raise exceptions.NotAuthenticated(_("Sign host calls with the X-Host-Key, X-Host-Timestamp and "
                                            "X-Host-Signature headers."))
    now = time.time()
    _check_timestamp(timestamp, now)
    credential = active_credential(key_id)
    if credential is None or not signing.signature_matches(
        credential.secret, timestamp, request.method, signed_path(request), request.body, given
    ):
        raise _refuse("invalid_signature", _("The signature is not valid for an active key."))
    if url_host != credential.host_code or not credential.host_active:
        raise exceptions.NotFound()
    bucket = int(now // RATE_WINDOW)
    call = HostCall(credential=credential, nonce=f"{credential.key_id}:{given[-64:]}", rate=Quota(
        "rate_limited", f"rate:{credential.key_id}:{bucket}", credential.requests_per_minute,
        (bucket + 1) * RATE_WINDOW - now), reads_only=request.method in ("GET", "HEAD"))
    if not admits_itself:
        admit(call, now)
    return call


def admit(call: HostCall, now: float | None = None) -> None:
    """Count the call against its key's rate and claim its nonce: 429 over the rate, 401 for a replay."""
    now = time.time() if now is None else now
    refuse_if_stopped(call, host_store().admit(rate=call.rate, nonce=call.nonce, nonce_ttl=nonce_ttl(), now=now))


class HostSignatureAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        context = request.parser_context or {}
        call = authenticate_host_call(request._request, context.get("kwargs", {}).get("host"),
                                      admits_itself=getattr(context.get("view"), "admits_itself", False))
        return AnonymousUser(), call

    def authenticate_header(self, request):
        return "HostSignature"


class IsHostCall(permissions.BasePermission):
    """Only calls authenticated by HostSignatureAuthentication."""

    def has_permission(self, request, view):
        return isinstance(request.auth, HostCall)


class HostSignatureScheme(OpenApiAuthenticationExtension):
    target_class = HostSignatureAuthentication
    name = ["HostKey", "HostTimestamp", "HostSignature"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": signing.KEY_HEADER, "description": "The host credential's key id."},
            {"type": "apiKey", "in": "header", "name": signing.TIMESTAMP_HEADER,
             "description": "Unix seconds when the call was signed; older than 5 minutes, or ahead, is refused."},
            {"type": "apiKey", "in": "header", "name": signing.SIGNATURE_HEADER,
             "description": "`sha256=` + hex HMAC-SHA256, under the secret, of "
                            "`\"<timestamp>\\n<METHOD>\\n<path with query>\\n\"` followed by the raw body bytes."},
        ]

    def get_security_requirement(self, auto_schema):
        return {"HostKey": [], "HostTimestamp": [], "HostSignature": []}
