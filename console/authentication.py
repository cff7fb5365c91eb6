"""DRF authentication with organisation API keys: `Authorization: Bearer <key>`."""

from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.throttling import SimpleRateThrottle

from console.lockout import LockedOut, api_key_failed, api_key_locked, retry_after_seconds
from console.models import ApiKey
from console.ratelimit import rate_limit_exceeded
from console.services import api_key_authenticate, api_key_revoked_at


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates as the key's creator, confined to the key's organisation and scopes.

    `request.auth` is the ApiKey; views use it to refuse other organisations
    (404) and missing scopes (403).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        # A blank header is no credentials; the scheme name is case-insensitive (RFC 7235).
        if not parts or parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be 'Bearer <key>'."))
        # Guessing keys is a sign-in attempt like any other: an address that keeps failing is locked out.
        if api_key_locked(request):
            raise LockedOut(wait=retry_after_seconds())
        key = api_key_authenticate(parts[1])
        if key is None:
            _refuse_revoked(parts[1])
            api_key_failed(request)
            raise exceptions.AuthenticationFailed(_("This API key is not valid or has been revoked."))
        if not key.created_by.is_active:
            raise exceptions.AuthenticationFailed(_("The account that created this API key is disabled."))
        return key.created_by, key

    def authenticate_header(self, request):
        return self.keyword


def _refuse_revoked(raw_key: str) -> None:
    """The whole secret of a revoked key is a pipeline not updated yet, not someone guessing: it is not counted
    towards the address's lock-out, which would shut out every other key and sign-in from a shared CI address."""
    revoked_at = api_key_revoked_at(raw_key)
    if revoked_at is not None:
        raise exceptions.AuthenticationFailed(
            _("This API key was revoked at %(when)s UTC; create a new one on the organisation's API keys page and "
              "use it instead.") % {"when": f"{revoked_at:%Y-%m-%d %H:%M}"})


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF refusal is in the reader's language and says what to send.

    DRF's said "CSRF Failed: CSRF cookie not set." in English, whatever the language, and not how to pass.
    """

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(_(
                "CSRF check failed: a call made with the browser's session must send the value of the csrftoken "
                "cookie in an X-CSRFToken header. Scripts use an API key (Authorization: Bearer) instead."
            )) from None


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (settings.API_KEY_RATE) in fixed windows; browser sessions are not counted here.

    Counted by `console.ratelimit`, with the cache's own increment: one step on Redis (production).
    DRF's SimpleRateThrottle reads the key's list of hit times and writes it back, so concurrent
    requests of one key overwrote each other's hits: 620 requests sent 16 at a time met no limit.
    (Django's file cache, the embedded default, increments by reading and writing too: exact there
    only without concurrency.) A fixed window may let a key make up to twice its rate across a
    window's edge; it never lets parallel requests through uncounted.
    """

    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return not rate_limit_exceeded(f"{key}:{window}", limit=self.num_requests, window=self.duration + 1)

    def wait(self):
        return self.wait_seconds


class SessionAuthenticationScheme(SessionScheme):
    target_class = SessionAuthentication


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_requirement(self, auto_schema):
        # Views for staff (the review API) refuse organisation keys: their schema names the session only.
        if getattr(auto_schema.view, "accepts_api_keys", True) is False:
            return None
        return super().get_security_requirement(auto_schema)

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An organisation API key (mpk_…)."}
