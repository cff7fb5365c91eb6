"""Exceptions services raise that the API and pages turn into clear answers."""

from django.core.exceptions import ValidationError
from django.http import Http404


class Conflict(Exception):
    """Someone else changed the object first (HTTP 409); the message says what to do."""


class WrongState(ValidationError):
    """The object's current state does not allow this action now (HTTP 409 `wrong_state`): not bad input.

    A ValidationError so that pages and forms, which show a refusal whatever its cause, keep showing it;
    the API tells it apart (console.api_errors), so that a script can tell "fix your request" (400) from
    "not in this state" (409). `api_code` names the refusal in the API's error body.
    """

    api_code = "wrong_state"


class LimitReached(WrongState):
    """A count of this program's or organisation's past actions (a daily or monthly quota) is used up.

    `retry_after`: the seconds until the count starts again, when the limit is a short window (an hour's
    invitations, a minute's pings); the API sends it as `Retry-After`, so that a script waits rather than
    guesses."""

    api_code = "limit_reached"

    def __init__(self, message, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class NamedNotFound(Http404):
    """A 404 whose message says what was not found, shown in the API's answer (other 404s say only "Not found.",
    as theirs may name a model). The message must read the same whether the object does not exist or is not
    the caller's, or it would tell an outsider which exist."""
