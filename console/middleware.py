"""Request-wide concerns: the content security policy and the organisation the user is working in."""

import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext_lazy

from console.selectors import memberships_for_user

SESSION_ORG_KEY = "current_org_slug"
API_V1_PREFIX = "/api/v1/"
HOST_CALLS_PREFIX = "/api/v1/hosts/"  # the hosts' signed calls (SPEC §9)


class ClientAddressMiddleware:
    """Behind `PROXIES_IN_FRONT` proxies (a load balancer, nginx), the client's address replaces the last proxy's.

    Every limit counts by `REMOTE_ADDR` (sign-in lock-out, API keys, sign-ups, host calls). Behind a proxy that
    is the proxy's address, and 30 failures from anyone would lock everyone out. Each proxy appends the address
    it received from to X-Forwarded-For, so the client's is the entry `PROXIES_IN_FRONT` from the right; the
    entries left of it are whatever the client sent, and are never read. With fewer entries than proxies the
    request did not come through them all, and keeps its socket address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        proxies = settings.PROXIES_IN_FRONT
        if proxies:
            forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
            client = _ip_address(forwarded[-proxies]) if len(forwarded) >= proxies else None
            if client:  # not an address (a misconfigured proxy): the socket's, which every limit can store
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


def _ip_address(entry: str) -> str | None:
    """The IP address of an X-Forwarded-For entry ("203.0.113.5", "2001:db8::1", with a port as some proxies
    write it: "203.0.113.5:41234", "[2001:db8::1]:41234"), or None."""
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header from settings (Django 5.2 has none built in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


API_PREFIX = "/api/"
_API_ERROR_CODES = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
                    405: "method_not_allowed", 413: "request_too_large", 429: "throttled", 500: "server_error"}
_API_ERROR_MESSAGES = {
    400: gettext_lazy("The request could not be read."), 403: gettext_lazy("You do not have permission to do this."),
    404: gettext_lazy("Not found."),
    500: gettext_lazy("Something went wrong on our side; try again, and tell us if it keeps happening."),
}


def api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message), "fields": {}}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


class ApiErrorShapeMiddleware:
    """Under /api/ every error is JSON in the API's shape, including those Django answers before DRF runs.

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE (multipart uploads stream past it) is refused here with
    413 before anything reads it; any other non-JSON error page (a 400 for too many fields, a 500)
    becomes the same status with the error shape. Place it early, so that it sees every answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if _declared_body_too_big(request):
            # Before LocaleMiddleware (nothing reads the body first): the caller's language from its header.
            with translation.override(translation.get_language_from_request(request)):
                limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
                return api_error("request_too_large", translation.gettext(
                    "The request body is larger than %(limit)s; send less.") % {"limit": limit}, 413)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            status = response.status_code
            # In the request's language, which LocaleMiddleware (inside this one) left active.
            return api_error(_API_ERROR_CODES.get(status, "error"), _API_ERROR_MESSAGES.get(status, "Error."), status)
        return response


def _declared_body_too_big(request) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.content_type == "multipart/form-data":
        return False
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return False


class CurrentOrganisationMiddleware:
    """Makes `request.memberships` and `request.current_membership` available lazily.

    The current organisation is the one whose pages the user last opened; the
    session remembers it so that "/" lands the user back where they were.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = _LazyMemberships(request)
        return self.get_response(request)


class _LazyMemberships:
    def __init__(self, request):
        self._request = request
        self._cache = None

    def _load(self):
        if self._cache is None:
            user = self._request.user
            self._cache = list(memberships_for_user(user))
            for membership in self._cache:
                membership.user = user  # the request's own user: no query for `membership.user`
        return self._cache

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def of_organisation(self, slug: str):
        """The user's membership of the organisation `slug`, or None: the list the shell shows, read once."""
        return next((m for m in self._load() if m.organisation.slug == slug), None)

    def current(self):
        slug = self._request.session.get(SESSION_ORG_KEY)
        memberships = self._load()
        return next((m for m in memberships if m.organisation.slug == slug), memberships[0] if memberships else None)


def remember_organisation(request, slug: str) -> None:
    if request.session.get(SESSION_ORG_KEY) != slug:
        request.session[SESSION_ORG_KEY] = slug


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request.user, "language", "") if request.user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class RefuseNulCharactersMiddleware:
    """A NUL character in the address names nothing (404) and is no valid query (400).

    PostgreSQL cannot compare text with NUL, so without this any lookup by a path or query value answered
    500. Under /api/ the refusal has the API's error shape.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return _refusal(request, 404, "not_found", "Not found.")
        if "%00" in request.META.get("QUERY_STRING", "") or any("\x00" in v for v in request.GET.values()):
            return _refusal(request, 400, "invalid", "NUL characters are not allowed in the query.")
        return self.get_response(request)


def _refusal(request, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return api_error(code, message, status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class ApiQueryParametersMiddleware:
    """A GET of the API names only query parameters the call reads; any other is a 400 naming it.

    They were dropped in silence: `?granularty=week` answered the daily series, and `…/testers/?email=x`
    (a filter no call had) every tester, so a script deleting the first result removed the wrong person.
    A parameter given twice is a 400 too: every call reads one value, and the last one was kept in silence
    (`?page_size=10&page_size=50` answered pages of 50). Host calls keep SPEC §9's contract as it is. The call's
    own refusals come first: a caller without credentials still gets its 401, an outsider its 404 (a GET
    changes nothing, so it may run first).
    """

    KEPT = (401, 403, 404, 405)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        refusal = getattr(request, "query_parameters_refusal", None)
        if refusal is not None and response.status_code < 500 and response.status_code not in self.KEPT:
            return refusal()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        from console.api_access import allowed_query_parameters

        view = getattr(view_func, "cls", None)
        if (request.method not in ("GET", "HEAD") or view is None or not request.path.startswith(API_V1_PREFIX)
                or request.path.startswith(HOST_CALLS_PREFIX)):
            return None
        allowed = allowed_query_parameters(view)
        unknown = sorted(set(request.GET) - allowed)
        repeated = sorted(name for name, values in request.GET.lists() if len(values) > 1)
        if unknown:
            request.query_parameters_refusal = lambda: _unknown_query_parameters(unknown, allowed)
        elif repeated:
            request.query_parameters_refusal = lambda: _repeated_query_parameters(repeated)
        return None


def _unknown_query_parameters(unknown: list[str], allowed: set[str]) -> JsonResponse:
    reads = ", ".join(sorted(allowed)) or translation.gettext("none")
    message = translation.gettext("Unknown query parameter: this call reads %(names)s.") % {"names": reads}
    return _query_parameters_invalid(message, unknown)


def _repeated_query_parameters(repeated: list[str]) -> JsonResponse:
    message = translation.gettext("Query parameter given more than once: this call reads one value of each.")
    return _query_parameters_invalid(message, repeated)


def _query_parameters_invalid(message: str, names: list[str]) -> JsonResponse:
    return JsonResponse({"error": {"code": "invalid", "message": message,
                                   "fields": {name[:100]: [message] for name in names[:20]}}}, status=400)
