"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from console.authentication import ApiKeyAuthentication
from console.exceptions import Conflict, NamedNotFound, WrongState

_MESSAGES = {
    "not_found": "Not found.",
    "permission_denied": "You do not have permission to do this.",
}


def _field_errors(detail) -> dict:
    """`{"field": ["message", …]}`; nested errors get dotted names (`domains.request.2`), never a repr."""
    if not isinstance(detail, dict):
        return {}
    fields: dict[str, list[str]] = {}
    for key, value in detail.items():
        _flatten(str(key), value, fields)
    return fields


def _flatten(name: str, value, fields: dict) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{name}.{key}", inner, fields)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            if isinstance(inner, dict | list | tuple):
                # A list of per-item errors (ListField): the item's index names it; empty items had none.
                _flatten(f"{name}.{index}", inner, fields)
            else:
                fields.setdefault(name, []).append(str(inner))
    else:
        fields.setdefault(name, []).append(str(value))


def _from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "api_detail"):  # named as the request named them, where the pages' names differ
        return exceptions.ValidationError(exc.api_detail)
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def error_response(code: str, message: str, http_status: int, fields: dict | None = None) -> Response:
    return Response({"error": {"code": code, "message": message, "fields": fields or {}}}, status=http_status)


class ConflictError(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class WrongStateError(exceptions.APIException):
    """The object's state refuses the action (console.exceptions.WrongState); the code says which kind."""

    status_code = 409
    default_code = "wrong_state"

    def __init__(self, exc: WrongState):
        super().__init__(" ".join(exc.messages), code=exc.api_code)
        self.wait = getattr(exc, "retry_after", None)  # DRF's handler sends it as Retry-After


class DatabaseUnavailable(exceptions.APIException):
    """The database dropped or refused the connection (a failover, a restart, a killed backend): the request is
    fine and will work again in a moment, so a 503 that says when to retry, not a 500 that reads as a bug."""

    status_code = 503
    default_code = "unavailable"
    default_detail = "The database did not answer; try again in a few seconds."
    wait = 5  # Retry-After


# What a dropped connection raises: Django's wrapped errors, and psycopg's own from its pipeline mode.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
try:
    import psycopg

    DATABASE_UNAVAILABLE += (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # SQLite only
    pass


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request body is too large; send less."


class TooManyFields(exceptions.APIException):
    status_code = 400
    default_code = "too_many_fields"
    default_detail = "The request has too many fields or files."


def _not_authenticated(exc, request):
    """With no credentials DRF says so; but a key sent under another scheme (`Token <key>`, DRF's own) is
    credentials sent wrongly, and the answer should say how to send them. Here rather than in
    ApiKeyAuthentication, which must let such a header pass: a proxy's Basic authentication in front of the
    console comes with every signed-in browser call."""
    header = authentication.get_authorization_header(request).decode("latin-1").split()
    if not header or header[0].lower() == ApiKeyAuthentication.keyword.lower():
        return exc
    return exceptions.NotAuthenticated(_('This API does not read the "%(scheme)s" scheme: send the key as '
                                         '"Authorization: Bearer <key>".') % {"scheme": header[0]})


def _naming_what_is_read(exc: exceptions.UnsupportedMediaType, view) -> exceptions.UnsupportedMediaType:
    """DRF's 415 names the content type sent; a client needs the ones that would have been read."""
    read = [parser.media_type for parser in view.get_parsers()] if view is not None else []
    if not read:
        return exc
    return exceptions.UnsupportedMediaType("", detail=f"{str(exc.detail).rstrip('.')}; send {' or '.join(read)}.")


def exception_handler(exc, context):
    if isinstance(exc, exceptions.NotAuthenticated) and context.get("request") is not None:
        exc = _not_authenticated(exc, context["request"])
    if isinstance(exc, Conflict):
        exc = ConflictError(str(exc))
    elif isinstance(exc, WrongState):  # before ValidationError, which it is for the pages' sake
        exc = WrongStateError(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if isinstance(exc, NamedNotFound) else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = TooManyFields()
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        exc = DatabaseUnavailable()
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = _naming_what_is_read(exc, context.get("view"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = _field_errors(exc.detail) if isinstance(exc, exceptions.ValidationError) else {}
    if fields:
        non_field = fields.get("non_field_errors")
        message = non_field[0] if non_field else _("Some fields are not valid.")
        code = "invalid"
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, list):
            detail = detail[0] if detail else ""
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message = str(detail) or _MESSAGES.get(code, "Error.")
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response

