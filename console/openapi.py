"""The OpenAPI schema documents every status an operation can answer, by rule, in the one error shape.

Rules (each operation gets what applies to it; a view adds its own with `error_statuses`):
- 400 when the operation reads a request body or query parameters (validation; NUL characters);
- 401 and 403 when it needs a caller (no or a bad key; a missing scope, a role that does not allow it,
  the session without its CSRF token; for staff operations, an API key);
- 404 when its path names an object (an outsider gets 404 too) or it is paginated (a page past the end);
- 415 when it reads a request body (a content type it does not parse);
- 429 when it is throttled (the per-key rate of REST_FRAMEWORK's throttles).
A view's `error_statuses = {409: "why", …}` adds statuses its services give (conflicts, limits), for all its
methods or, keyed by method (`{"POST": {409: "why"}}`), for some;
a response declared with `extend_schema` keeps its description and gets the error body.
"""

import inspect

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file the client sends (multipart). drf-spectacular documents a FileField as its response form, a
    URI, so Swagger's "Try it out" offered a text box; `binary` gives it a file picker. Per field rather
    than COMPONENT_SPLIT_REQUEST, which would rename every request component of the published schema."""


class ErrorDetailOutput(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `not_found`, `invalid`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages when the input was not valid; empty otherwise.",
    )


class ErrorOutput(serializers.Serializer):
    error = ErrorDetailOutput()


BY_RULE = {
    400: "The input is not valid (`fields` says which).",
    401: "No credentials, or an API key that is not valid or was revoked.",
    403: "The API key lacks the scope, the caller's role does not allow it, or the session's CSRF token is missing.",
    404: "Not found, or not yours: an outsider gets 404.",
    415: "The request's content type is not one this operation reads.",
    429: "Too many requests (per API key); `Retry-After` says when to try again.",
}
# Staff operations (`accepts_api_keys = False`) have no key scopes: BY_RULE's 403 would send readers looking for one.
STAFF_ONLY_403 = ("Not staff with the role this needs, an API key (staff use the session), or the session's CSRF "
                  "token is missing.")
BODY_METHODS = {"POST", "PUT", "PATCH"}
KEY_400 = ("`Idempotency-Key` is malformed (`invalid`, `fields` names it), or was sent with another request "
           "(`idempotency_key_reused`).")
REPLAYED_HEADER = {"schema": {"type": "string", "enum": ["true"]},
                   "description": "`true` when this is the kept answer to an earlier request with the same "
                                  "`Idempotency-Key`: nothing was written this time."}
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "Any unique string of yours (a UUID): sent again with the same request within 24 hours, the "
                   "first 2xx answer comes back (with `Idempotent-Replayed: true`) and nothing is written twice. "
                   "Another request with the same key is a 400 `idempotency_key_reused`; a refusal is not kept.",
}


class ConsoleAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation:
            who = self.who_may_call()
            if who:
                description = operation.get("description", "").rstrip()
                operation["description"] = f"{description}\n\n{who}" if description else who
        if operation and any(p.get("in") == "query" for p in operation.get("parameters", [])):
            self._add_400(operation, BY_RULE[400])
        if operation and self._takes_an_idempotency_key():
            self._document_the_idempotency_key(operation)
        return operation

    def _add_400(self, operation: dict, description: str) -> None:
        responses = operation["responses"]
        if "400" not in responses:
            responses["400"] = self._error_response(400, description)
            operation["responses"] = dict(sorted(responses.items()))

    def _document_the_idempotency_key(self, operation: dict) -> None:
        """The header, its 400s (added to the operation's own), and the header that marks a replayed answer."""
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
        responses = operation["responses"]
        if "400" in responses:
            responses["400"]["description"] = f"{responses['400']['description'].rstrip()} Or the {KEY_400}"
        else:
            self._add_400(operation, f"The {KEY_400}")
        for code, response in responses.items():
            if code.startswith("2"):
                response.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED_HEADER

    def _takes_an_idempotency_key(self) -> bool:
        from console.idempotency import WRITES, applies_to

        return (self.method in WRITES and applies_to(self.path) and self._needs_a_caller()
                and self._takes_keys_or_sessions())

    def get_description(self) -> str:
        """The view's or method's own docstring only: one inherited from a base class (a mixin's note for
        developers) would be shown to API users as if it described this operation."""
        method = getattr(self.view, self.method.lower(), None)
        own = method.__doc__ if method is not None else None
        return inspect.cleandoc(own or type(self.view).__dict__.get("__doc__") or "")

    def _is_list_view(self, serializer=None) -> bool:
        """A list serializer wrapped in `OpenApiResponse` (to describe the answer) is still a list: drf-spectacular
        looks through bare serializers only, and would rename `…_list` operations `…_retrieve`."""
        if serializer is None:
            serializer = self.get_response_serializers()
        if isinstance(serializer, dict) and serializer:
            serializer = {str(code): s for code, s in serializer.items()}
            serializer = serializer[min(serializer)]  # the main response, as drf-spectacular picks it
        if isinstance(serializer, OpenApiResponse) and serializer.response is not None:
            serializer = serializer.response
        return super()._is_list_view(serializer)

    def who_may_call(self) -> str:
        """Which credentials the operation takes, from what the view checks (console.api_access)."""
        if getattr(self.view, "accepts_api_keys", True) is False:
            return "Staff only, signed in with the session: organisation API keys are refused."
        from console.authentication import ApiKeyAuthentication

        if not self._needs_a_caller() or ApiKeyAuthentication not in self.view.authentication_classes:
            return ""  # open, or host-signed calls (their own scheme, described by the operation)
        scope_for = getattr(self.view, "scope_for", None)
        scope = scope_for(self.method) if scope_for else None
        if scope is None:
            return "Any API key of the organisation (no scope needed), or a member's session."
        return f"API key scope: `{scope}` (or a member's session whose role allows it)."

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in self.error_statuses().items():
            declared = responses.get(str(code))
            if declared is None:
                responses[str(code)] = self._error_response(code, description)
            elif "content" not in declared:  # declared with a description only: it has the error body
                responses[str(code)] = self._error_response(code, declared.get("description") or description)
        return dict(sorted(responses.items()))

    def _error_response(self, code: int, description: str) -> dict:
        return self._get_response_for_code(OpenApiResponse(ErrorOutput, description=description), str(code))

    def error_statuses(self) -> dict[int, str]:
        statuses = {}
        reads_body = self.method in BODY_METHODS and self.get_request_serializer() is not None
        if reads_body:
            statuses[400] = BY_RULE[400]
        if self._needs_a_caller():
            statuses[401] = BY_RULE[401]
        if self._needs_a_caller() and self._takes_keys_or_sessions():
            statuses[403] = STAFF_ONLY_403 if getattr(self.view, "accepts_api_keys", True) is False else BY_RULE[403]
        if "{" in self.path or (self._is_list_view() and self._get_paginator()):
            statuses[404] = BY_RULE[404]
        if reads_body and getattr(getattr(self.view, "content_negotiation_class", None), "checks_content_type", True):
            statuses[415] = BY_RULE[415]
        if getattr(self.view, "throttle_classes", None):
            statuses[429] = BY_RULE[429]
        statuses.update(self._view_error_statuses())
        # Declared responses the rules do not cover (409, 413, 429 …) get the error body too.
        for code, response in (self._declared_responses() or {}).items():
            if str(code).isdigit() and int(code) >= 400:
                description = response.description if isinstance(response, OpenApiResponse) else ""
                statuses.setdefault(int(code), description or "Error.")
        return statuses

    def _view_error_statuses(self) -> dict[int, str]:
        """The view's `error_statuses`: `{409: "why"}` for all its methods, or `{"POST": {409: "why"}}` by method."""
        declared = getattr(self.view, "error_statuses", {})
        if any(isinstance(key, str) for key in declared):
            return declared.get(self.method, {})
        return declared

    def _needs_a_caller(self) -> bool:
        return not all(issubclass(p, AllowAny) for p in self.view.permission_classes)

    def _takes_keys_or_sessions(self) -> bool:
        """Only a key or a session can be known and still not allowed (403). Host-signed calls have their own
        scheme, which authenticates a call or refuses it (401): their operations said a key lacked a scope."""
        from console.authentication import ApiKeyAuthentication

        return any(issubclass(a, ApiKeyAuthentication | SessionAuthentication) for a in self.view.authentication_classes)

    def _declared_responses(self) -> dict | None:
        declared = self.get_response_serializers()
        return declared if isinstance(declared, dict) else None


def _each_object(node, visit) -> None:
    """Call `visit` on every JSON object (dict) of the schema, parents before their children."""
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _each_object(value, visit)
    elif isinstance(node, list):
        for value in node:
            _each_object(value, visit)


def nullable_refs_have_a_type(result, generator, request, public):
    """A nullable field of a component's type is written `allOf: [$ref], nullable: true`; OpenAPI 3.0.3 counts
    `nullable` only beside a `type`, and the component itself refuses null, so strict validators (and generated
    clients) refused the null that `phased_release` and `duplicate` answer. Such a field becomes "the component,
    or null": `oneOf: [$ref, {type: object, nullable: true, enum: [null]}]`."""
    def mend(node: dict) -> None:
        if node.get("nullable") and len(node.get("allOf") or ()) == 1 and "type" not in node:
            node["oneOf"] = [node.pop("allOf")[0], {"type": "object", "nullable": True, "enum": [None]}]
            del node["nullable"]

    _each_object(result, mend)
    return result


def strict_inputs_say_so(result, generator, request, public):
    """A body read by a `StrictInput` serializer refuses fields it does not name (400); its component says so
    with `additionalProperties: false`, so that generated clients and validators know it too. (A partial
    body's component, `Patched…`, is the same serializer's.)"""
    from console.api_fields import StrictInput

    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():
        serializer = component.object
        if component.type == "schemas" and component.name in schemas and (
                isinstance(serializer, StrictInput) or (isinstance(serializer, type)
                                                        and issubclass(serializer, StrictInput))):
            schemas[component.name]["additionalProperties"] = False
    return result


BLANK = {"type": "string", "maxLength": 0}


def blank_alternatives_do_not_overlap(result, generator, request, public):
    """A URL field that may be blank is written `oneOf: [{format: uri}, {maxLength: 0}]`. A validator that does not
    check formats (most, by default) finds "" valid under both, and `oneOf` then refuses the very value that clears
    the field. The non-blank branch gets `minLength: 1`, so that exactly one branch takes each value."""
    def mend(node: dict) -> None:
        branches = node.get("oneOf")
        if isinstance(branches, list) and BLANK in branches:
            for branch in branches:
                if branch != BLANK and branch.get("type") == "string":
                    branch.setdefault("minLength", 1)

    _each_object(result, mend)
    return result
