"""The host platforms' runtime API (SPEC §9 "Host calls"): the share gate and the placements.

Every view here is signed by the host (`hosts.authentication`); the URL's `{host}` must be the key's.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException, MethodNotAllowed, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_errors import DATABASE_UNAVAILABLE, DatabaseUnavailable, error_response, exception_handler
from console.parsers import DepthLimitedJSONParser, parse_json_body
from distribution.gate import share_check
from distribution.host_facts import placement_cards, scene_facts
from distribution.host_serializers import PlacementsOutput, PlacementsQuery, ShareCheckInput, ShareCheckOutput
from hosts import fields as host_fields
from hosts.authentication import (
    HostCall,
    HostSignatureAuthentication,
    IsHostCall,
    admit,
    authenticate_host_call,
    refuse_if_stopped,
)
from hosts.negotiation import JsonOnly

REFUSALS = {
    400: OpenApiResponse(description="The body or query is not valid (`invalid`), or the body is not JSON "
                                     "(`parse_error`)."),
    401: OpenApiResponse(description="Not signed, `invalid_timestamp`, `stale_timestamp`, `invalid_signature` "
                                     "(unknown key, revoked key or wrong signature alike) or `replayed`."),
    404: OpenApiResponse(description="The key belongs to another host (or there is no such host)."),
    429: OpenApiResponse(description="`rate_limited`: the key's calls per minute; see the Retry-After header."),
    503: OpenApiResponse(description="`unavailable`: the console's database did not answer; send the same call, "
                                     "signed afresh, after Retry-After seconds."),
}
# What only a call with a body may get.
BODY_REFUSALS = {
    411: OpenApiResponse(description="`length_required`: the body was sent chunked; send it with a Content-Length, "
                                     "or its signature cannot be checked."),
    413: OpenApiResponse(description="`request_too_large`: the body is over the limit."),
}


class HostApi(APIView):
    authentication_classes = [HostSignatureAuthentication]
    permission_classes = [IsHostCall]
    parser_classes = [DepthLimitedJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly


class _Refused(Exception):
    """A field's value is refused; the argument is the key of the field's DRF error message."""


def _missing(field):
    if field.required:
        raise _Refused("required")
    return field.default


def _char(field, value) -> str:
    """HostText's checks, in DRF's order (blank, null, then the value, then its length), raising the message key."""
    if value == "":
        if field.allow_blank:
            return value
        raise _Refused("blank")
    if value is None:
        raise _Refused("null")
    if type(value) is not str:
        raise _Refused("invalid")
    if not value.strip():
        raise _Refused("blank")
    if not host_fields.is_text(value):
        raise _Refused("control")
    if field.is_id and not host_fields.is_id(value):
        raise _Refused("not_an_id")
    if field.max_length is not None and len(value) > field.max_length:
        raise _Refused("max_length")
    return value


def validated(serializer_class, data) -> dict:
    """The fields of `serializer_class`, a serializer of HostText fields, checked by `_char` with DRF's
    messages: the gate's hot path checks the class's own declared limits directly, where DRF would
    deep-copy every field and run its validator chain on each call (a third of the gate's own time)."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    values, errors = {}, {}
    for name, field in serializer_class._declared_fields.items():
        try:
            values[name] = _char(field, data[name]) if name in data else _missing(field)
        except _Refused as exc:
            errors[name] = [str(field.error_messages[exc.args[0]]).format(max_length=field.max_length)]
    if errors:
        raise ValidationError(errors)
    return values


SHARE_EXAMPLES = [
    OpenApiExample("ask", request_only=True, value={
        "appid": "2025000000000001", "scene": "weibo.feed", "user": "wb-5521093", "share_id": "s-8c1f2a",
        "page": "pages/index/index"}),
    OpenApiExample("allowed", response_only=True, value={"allow": True, "reason": "allowed", "retry_after": None}),
    OpenApiExample("capped", response_only=True, value={"allow": False, "reason": "share_cap", "retry_after": 2917}),
    OpenApiExample("paused", response_only=True, value={"allow": False, "reason": "scene_paused", "retry_after": None}),
]


ANSWER_KEYS = ("allow", "reason", "retry_after")


class ShareCheckApi(HostApi):
    admits_itself = True  # rate limit, replay check and the gate's counters in one atomic step

    @extend_schema(
        operation_id="host_share_check", tags=["host platforms"], request=ShareCheckInput,
        responses={200: OpenApiResponse(ShareCheckOutput, description="The gate's answer: `allow`, the `reason` "
                                                                      "and, for a cap, `retry_after` (a replay gets "
                                                                      "the first answer again)."),
                   **REFUSALS, **BODY_REFUSALS},
        examples=SHARE_EXAMPLES, summary="The share gate: may this host user share this program into this scene now?",
        description="Allow, or deny with a stable `reason` (see docs/host-api.md) and, for caps, `retry_after` "
                    "seconds. Every answer counts towards the stats. Sending the very same signed request again "
                    "(a replay) returns the first answer with `X-Host-Replayed: true` and counts nothing; include a "
                    "`share_id` so that two real shares in one second are not one replay.",
    )
    def post(self, request, host):
        return share_check_endpoint(request._request, host)


@csrf_exempt
def share_check_endpoint(request, host):
    """The share gate's hot path: what ShareCheckApi documents, without DRF's per-request machinery.

    Wrapping the request, negotiating, instantiating parsers, authenticators and permissions, and
    rendering the response cost DRF about as much as the gate's own work (bench/gate.py), so the URL
    routes here: the same authentication, the same input fields, the same error shape. drf-spectacular
    documents it as ShareCheckApi through `.cls` below.
    """
    try:
        call = authenticate_host_call(request, host, admits_itself=True)
        data = _share_check_input(request, call)
        verdict = share_check(host_code=call.host_code, nonce=call.nonce, rate=call.rate, **data)
        stopped = verdict.stopped
        if stopped is not None and stopped.replayed:
            first = json.loads(stopped.prior)
            response = _json({key: first[key] for key in ANSWER_KEYS})
            response["X-Host-Replayed"] = "true"
            return response
        refuse_if_stopped(call, stopped)
    except APIException as exc:
        return _error_response(exc)
    except DATABASE_UNAVAILABLE:  # the facts could not be read: a 503 to retry, as on every API
        return _error_response(DatabaseUnavailable())
    return _json(verdict.answer())


def _json(data: dict) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"separators": (",", ":")})


share_check_endpoint.cls = ShareCheckApi
share_check_endpoint.initkwargs = {}


def _share_check_input(request, call: HostCall) -> dict:
    """The call's validated fields. A call refused here still counts against its key's rate (and its nonce
    is spent), as every other host call does: otherwise a host could send bad calls without limit."""
    try:
        if request.method != "POST":
            raise MethodNotAllowed(request.method)
        return validated(ShareCheckInput, parse_json_body(request.body or b"null"))
    except APIException:
        admit(call)  # a 429 or a replay's 401 comes first, as on the other host calls
        raise


def _error_response(exc: APIException) -> HttpResponse:
    """The usual error shape and headers (Retry-After, WWW-Authenticate), rendered as DRF would."""
    response = exception_handler(exc, {})
    if response.status_code == 401:
        response["WWW-Authenticate"] = HostSignatureAuthentication().authenticate_header(None)
    response.accepted_renderer, response.accepted_media_type = JSONRenderer(), "application/json"
    response.renderer_context = {}
    return response.render()


class PlacementsApi(HostApi):
    @extend_schema(
        operation_id="host_placements", tags=["host platforms"],
        responses={200: OpenApiResponse(PlacementsOutput, description="The cards showing there now (none while the "
                                                                      "scene is paused: `active` is false)."),
                   **REFUSALS},
        parameters=[
            OpenApiParameter("scene", str, required=True, description="A placement scene, e.g. `weibo.profile`."),
            OpenApiParameter("account", str, description="A profile's account uid (account scenes)."),
            OpenApiParameter("topic", str, description="A topic or lottery campaign id (topic and lottery scenes)."),
        ],
        examples=[OpenApiExample("profile", response_only=True, value={
            "scene": "weibo.profile", "active": True, "cards": [{
                "appid": "2025000000000001", "name": "City Bikes", "logo": "https://console.example.com/media/…",
                "title": "City Bikes official", "landing_page": "pages/index/index",
                "starts_at": "2026-11-01T00:00:00+08:00", "ends_at": "2027-01-30T00:00:00+08:00"}]})],
        summary="The program cards to show on a profile, topic or lottery now",
    )
    def get(self, request, host):
        query = PlacementsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        scene = scene_facts(request.auth.host_code, query.validated_data["scene"])
        field = "account" if "account" in query.validated_data else "topic"
        if scene is None or not scene.placement_kind or (field == "account") != (scene.placement_kind == "account"):
            return error_response("invalid", _("Some fields are not valid."), 400, {"scene": [
                _("This host has no scene with placements by %(field)s called that.") % {"field": field}]})
        cards = placement_cards(scene=scene, account=query.validated_data.get("account"),
                                topic=query.validated_data.get("topic"))
        now = timezone.now()
        showing = [card for card in cards if card.showing_at(now)] if scene.active else []
        body = {"scene": scene.code, "active": scene.active, "cards": [
            {**card.__dict__, "logo": request.build_absolute_uri(card.logo) if card.logo else ""} for card in showing]}
        return Response(PlacementsOutput(body).data)
