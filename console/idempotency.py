"""`Idempotency-Key` on the API's writes: a client that did not get the answer (a timeout, a dropped connection)
sends the same request again with the same key and gets the first answer back, instead of a second program,
webhook or invitation.

How: the body is read first (a multipart upload into a temporary file), so that no transfer happens inside the
transaction; then the request runs in one transaction that first records the key (unique per caller). A second
request with the key waits at that record until the first ends (PostgreSQL waits on the unique index; SQLite's
writes take turns), then gets the answer the first stored. Only a 2xx answer is stored, with the writes that
made it, in the same commit; a refusal (4xx) is not, so the same request may be sent again once fixed, and a
5xx rolls the whole request back. A process killed mid-way commits neither the writes nor the key.

The key belongs to the caller: an API key (by its id) or a signed-in user, checked as the API checks them
(a disabled account, a locked-out address, the key's rate) before an answer is replayed. A key is kept
`IDEMPOTENCY_KEY_HOURS` (24); sent again with another method, path or body, it is a 400. Answers are stored
sealed (console.sealing), as a webhook's creation answers its signing secret. Host calls keep SPEC §9's
contract (event ids make their retries safe) and are left alone.
"""

import base64
import hashlib
import re
import tempfile
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import parse_header_parameters
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework.authentication import CSRFCheck, get_authorization_header

from console import sealing
from console.models import IdempotentRequest

HEADER = "Idempotency-Key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces: what UUIDs and ULIDs are made of
KEPT_HEADERS = ("Content-Type", "Location", "Content-Language", "Allow")
SPOOL_CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 2_621_440  # as Django keeps an upload in memory; larger ones go to a temporary file


def applies_to(path: str) -> bool:
    return path.startswith("/api/v1/") and not path.startswith("/api/v1/hosts/")


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: that is cached on first use, and /healthz/ rewrites its Accept header later.
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if key is None or request.method not in WRITES or not applies_to(request.path_info):
            return self.get_response(request)
        caller = _caller(request)
        if caller is None:  # the view refuses the caller (401, 403, 429): its answer, not a word on the key
            return self.get_response(request)
        if not VALID_KEY.fullmatch(key):
            message = _("The Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces, "
                        "e.g. a UUID.")
            return _error(400, "invalid", message, fields={HEADER: [message]})
        fingerprint = _fingerprint(request)
        if fingerprint is None:  # a body over the limit: the view's 413
            return self.get_response(request)
        with transaction.atomic():
            record, answer = _claim(caller, key, fingerprint, request)
            if answer is not None:
                return answer
            response = self.get_response(request)
            _keep(record, response)
            return response


def _caller(request) -> str | None:
    """Whose key this is: the API key's or the signed-in user's; None for a caller the view will refuse. Nothing
    here counts a failed key towards a lock-out: the view does, once."""
    from console.authentication import ApiKeyRateThrottle
    from console.lockout import api_key_locked
    from console.services import api_key_authenticate

    header = get_authorization_header(request).split()
    if header and header[0].lower() == b"bearer":
        if len(header) != 2 or api_key_locked(request):
            return None
        api_key = api_key_authenticate(header[1].decode("latin-1"))
        if api_key is None or not api_key.created_by.is_active:
            return None
        request.idempotency_throttle = ApiKeyRateThrottle(), SimpleNamespace(auth=api_key)
        return f"key:{api_key.pk}"
    if not request.user.is_authenticated or _is_multipart(request) or _csrf_refused(request):
        return None
    return f"user:{request.user.pk}"


def _is_multipart(request) -> bool:
    # A session's multipart write goes to the view as it is: Django's CSRF check would parse the form to look for
    # its token, and take the upload out of the view's hands (its size limits).
    return request.META.get("CONTENT_TYPE", "").startswith("multipart/")


def _csrf_refused(request) -> bool:
    """A session's write without its CSRF token is refused by the view: it must not get a stored answer."""
    check = CSRFCheck(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {}) is not None


def _fingerprint(request) -> str | None:
    """What was asked: method, path, content type and body. A multipart body is read here, into a temporary
    file the view then reads, and hashed without its boundary, which a client draws anew for every send."""
    content_type = request.META.get("CONTENT_TYPE", "")
    media_type, parameters = parse_header_parameters(content_type)
    if media_type.startswith("multipart/"):
        body_digest = _spooled_multipart(request, parameters.get("boundary", ""))
        if body_digest is None:
            return None
        asked = [request.method, request.get_full_path(), media_type, body_digest]
    else:
        try:
            body = request.body
        except RequestDataTooBig:
            return None
        asked = [request.method, request.get_full_path(), content_type, hashlib.sha256(body).hexdigest()]
    return hashlib.sha256("\n".join(asked).encode()).hexdigest()


def _spooled_multipart(request, boundary: str) -> str | None:
    """Read the body into a temporary file that becomes the request's stream; return its digest without the
    boundary. None for a body over IDEMPOTENCY_MAX_BODY_BYTES (or of no length): it goes to the view as it is."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if not boundary or not 0 < length <= settings.IDEMPOTENCY_MAX_BODY_BYTES:
        return None
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    digest = _WithoutBoundary(f"--{boundary}".encode())
    while chunk := request.read(SPOOL_CHUNK):
        spool.write(chunk)
        digest.update(chunk)
    spool.seek(0)
    # The view's parsers read the request's stream from the start, as if nothing had read it.
    request._stream, request._read_started = spool, False
    return digest.hexdigest()


class _WithoutBoundary:
    """SHA-256 of a byte stream with every occurrence of `boundary` taken out, fed in chunks of any size."""

    def __init__(self, boundary: bytes):
        self.boundary, self.tail, self.sha = boundary, b"", hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        *whole, last = (self.tail + chunk).split(self.boundary)
        for piece in whole:
            self.sha.update(piece)
        keep = len(self.boundary) - 1  # the start of a boundary the next chunk may finish
        self.sha.update(last[:-keep])
        self.tail = last[-keep:]

    def hexdigest(self) -> str:
        self.sha.update(self.tail)
        self.tail = b""
        return self.sha.hexdigest()


def _claim(caller: str, key: str, fingerprint: str, request):
    """Record the key for this request: (the record, None); or, when it was answered already, (None, that answer
    or the refusal of a reuse)."""
    while True:
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(scope=caller, key=key, fingerprint=fingerprint), None
        except IntegrityError:  # PostgreSQL waited here for the request that holds the key to end
            pass
        earlier = IdempotentRequest.objects.filter(scope=caller, key=key).first()
        if earlier is None:
            continue  # ended without keeping its answer (a refusal) a moment ago
        if earlier.created_at < timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS):
            earlier.delete()
            continue
        if earlier.fingerprint != fingerprint:
            return None, _error(400, "idempotency_key_reused", _(
                "This Idempotency-Key was sent with another request (another method, path or body) in the last "
                "%(hours)d hours; send each new request with a new key.") % {"hours": settings.IDEMPOTENCY_KEY_HOURS})
        return None, _throttled(request) or _replay(earlier)


def _throttled(request) -> HttpResponse | None:
    """A replay counts towards the key's rate, as the request it stands for would have."""
    throttle, caller = getattr(request, "idempotency_throttle", (None, None))
    if throttle is None or throttle.allow_request(caller, None):
        return None
    response = _error(429, "throttled", _("Request was throttled. Expected available in %(seconds)d seconds.") % {
        "seconds": int(throttle.wait() or 1)})
    response["Retry-After"] = str(int(throttle.wait() or 1))
    return response


def _keep(record: IdempotentRequest, response) -> None:
    if response.status_code >= 500:
        transaction.set_rollback(True)  # the request's writes too: it failed, and may be sent again
    elif 200 <= response.status_code < 300 and not response.streaming:
        record.status_code = response.status_code
        if not response.has_header("Content-Language"):  # LocaleMiddleware adds it later, outside this one
            response["Content-Language"] = get_language()  # the replay's words are the first answer's
        record.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        record.body = sealing.seal(base64.b64encode(response.content).decode()).encode()
        record.save(update_fields=["status_code", "headers", "body"])
    else:
        record.delete()  # refused: the same request may come again, fixed or not


def _replay(record: IdempotentRequest) -> HttpResponse:
    try:
        body = base64.b64decode(sealing.unseal(bytes(record.body).decode()))
    except sealing.Unsealable:  # SECRET_KEY changed without its fallback: the answer cannot be read back
        return _error(409, "conflict", _("The answer to this Idempotency-Key can no longer be read; check whether "
                                         "the first request took effect before sending it with a new key."))
    response = HttpResponse(body, status=record.status_code)
    del response["Content-Type"]  # the first answer's own, or none (a 204)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _error(status: int, code: str, message: str, fields: dict | None = None) -> HttpResponse:
    from rest_framework.renderers import JSONRenderer

    body = JSONRenderer().render({"error": {"code": code, "message": message, "fields": fields or {}}})
    return HttpResponse(body, status=status, content_type="application/json")


def idempotent_requests_prune() -> int:
    """Forget the keys older than IDEMPOTENCY_KEY_HOURS; how many."""
    old = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _kinds = IdempotentRequest.objects.filter(created_at__lt=old).delete()
    return deleted
