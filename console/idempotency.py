"""`Idempotency-Key` on the API's writes: a client that did not get the answer (a timeout, a dropped connection)
sends the same request again with the same key and gets the first answer back, instead of a second program,
webhook or invitation.

How: the request runs in one transaction that first records the key (unique per caller). A second request
with the key waits at that record until the first ends (PostgreSQL waits on the unique index; SQLite's
writes take turns), then gets the answer the first stored. Only a 2xx answer is stored, with the writes that
made it, in the same commit; a refusal (4xx) is not, so the same request may be sent again once fixed, and a
5xx rolls the whole request back. A process killed mid-way commits neither the writes nor the key.

The key belongs to the caller: an API key (by its id) or a signed-in user. A key is kept
`IDEMPOTENCY_KEY_HOURS` (24); sent again with another method, path or body, it is a 400. Host calls keep
SPEC §9's contract (event ids make their retries safe) and are left alone. Answers are stored sealed
(console.sealing), as a webhook's creation answers its signing secret.
"""

import base64
import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import CSRFCheck, get_authorization_header

from console import sealing
from console.models import IdempotentRequest

HEADER = "Idempotency-Key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces: what UUIDs and ULIDs are made of


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
        if caller is None:  # the view refuses the caller (401, 403): its answer, not a word on the key
            return self.get_response(request)
        if not VALID_KEY.fullmatch(key):
            return _error(400, "invalid", _("The Idempotency-Key header must be 1 to 255 printable ASCII characters "
                                            "without spaces, e.g. a UUID."))
        fingerprint = _fingerprint(request)
        if fingerprint is None:  # a body over the limit: the view's 413
            return self.get_response(request)
        with transaction.atomic():
            record, answer = _claim(caller, key, fingerprint)
            if answer is not None:
                return answer
            response = self.get_response(request)
            _keep(record, response)
            return response


def _caller(request) -> str | None:
    """Whose key this is: the API key's or the signed-in user's; None for a caller the view will refuse."""
    from console.services import api_key_authenticate

    header = get_authorization_header(request).split()
    if header and header[0].lower() == b"bearer":
        api_key = api_key_authenticate(header[1].decode("latin-1")) if len(header) == 2 else None
        return f"key:{api_key.pk}" if api_key is not None else None
    if not request.user.is_authenticated or _csrf_refused(request):
        return None
    return f"user:{request.user.pk}"


def _csrf_refused(request) -> bool:
    """A session's write without its CSRF token is refused by the view: it must not get a stored answer."""
    check = CSRFCheck(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {}) is not None


def _fingerprint(request) -> str | None:
    """What was asked. A multipart body (a package, up to 50 MB, streamed to a capped file) is not read here:
    its length stands for it, as a client sending it again draws a new boundary anyway."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/"):
        body = f"multipart:{request.META.get('CONTENT_LENGTH', '')}".encode()
    else:
        try:
            body = request.body
        except RequestDataTooBig:
            return None
    asked = b"\n".join([request.method.encode(), request.get_full_path().encode(), content_type.encode(), body])
    return hashlib.sha256(asked).hexdigest()


def _claim(caller: str, key: str, fingerprint: str) -> tuple[IdempotentRequest | None, HttpResponse | None]:
    """Record the key for this request; or, when it answered already, that answer (or the refusal of a reuse)."""
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
        return None, _replay(earlier)


def _keep(record: IdempotentRequest, response) -> None:
    if response.status_code >= 500:
        transaction.set_rollback(True)  # the request's writes too: it failed, and may be sent again
    elif 200 <= response.status_code < 300 and not response.streaming:
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.location = response.get("Location", "")
        record.body = sealing.seal(base64.b64encode(response.content).decode()).encode()  # a create's secret, too
        record.save(update_fields=["status_code", "content_type", "location", "body"])
    else:
        record.delete()  # refused: the same request may come again, fixed or not


def _replay(record: IdempotentRequest) -> HttpResponse:
    try:
        body = base64.b64decode(sealing.unseal(bytes(record.body).decode()))
    except sealing.Unsealable:  # SECRET_KEY changed without its fallback: the answer cannot be read back
        return _error(409, "conflict", _("The answer to this Idempotency-Key can no longer be read; check whether "
                                         "the first request took effect before sending it with a new key."))
    response = HttpResponse(body, status=record.status_code, content_type=record.content_type or None)
    if record.location:
        response["Location"] = record.location
    response["Idempotent-Replayed"] = "true"
    return response


def _error(status: int, code: str, message: str) -> HttpResponse:
    from rest_framework.renderers import JSONRenderer

    body = JSONRenderer().render({"error": {"code": code, "message": message, "fields": {}}})
    return HttpResponse(body, status=status, content_type="application/json")


def idempotent_requests_prune() -> int:
    """Forget the keys older than IDEMPOTENCY_KEY_HOURS; how many."""
    old = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _kinds = IdempotentRequest.objects.filter(created_at__lt=old).delete()
    return deleted
