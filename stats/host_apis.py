"""`POST /api/v1/hosts/{host}/events/`: hosts post usage events in signed batches (SPEC §9 "Events").

Signed like every host call (`hosts.authentication`); a replayed signature is refused, and a host
that retries re-signs: event ids make the retry count once. The request validates and enqueues
only (`stats.ingest.events_ingest`); the drain task stores the batch.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from console.parsers import DepthLimitedJSONParser
from hosts.authentication import HostSignatureAuthentication, IsHostCall
from hosts.models import Host
from hosts.negotiation import JsonOnly
from stats.ingest import events_ingest


class TooManyEvents(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_many_events"


class EventsInput(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.DictField(), allow_empty=False,
        help_text="Up to 1,000 events, each validated on its own: `id`, `type` (visit, share, share_open, new_user, "
                  "payment), `appid`, `scene`, `user`, `time` (ISO 8601 with a zone), and the type's fields.",
    )


class RefusedEvent(serializers.Serializer):
    index = serializers.IntegerField()
    reason = serializers.CharField(help_text="not_an_object, bad_field, unknown_type, unknown_program, "
                                             "program_not_on_host, unknown_scene, time_in_future, too_late")
    field = serializers.CharField(required=False)
    message = serializers.CharField()


class EventsOutput(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events that will be counted.")
    duplicates = serializers.IntegerField(help_text="Events whose id was seen before (counted once).")
    rejected = RefusedEvent(many=True)


EXAMPLE_BATCH = {"events": [
    {"id": "ev-1", "type": "visit", "appid": "2025000000000001", "scene": "weibo.feed", "user": "wb-5521093",
     "time": "2026-11-30T10:00:00+08:00", "page": "pages/index/index", "page_views": 4, "stay_seconds": 95},
    {"id": "ev-2", "type": "share", "appid": "2025000000000001", "scene": "weibo.feed", "user": "wb-5521093",
     "time": "2026-11-30T10:01:10+08:00", "share_id": "s-8c1f2a"},
    {"id": "ev-3", "type": "payment", "appid": "2025000000000001", "scene": "weibo.feed", "user": "wb-5521093",
     "time": "2026-11-30T10:03:00+08:00", "amount": 19.9},
]}


class EventsIngestApi(APIView):
    authentication_classes = [HostSignatureAuthentication]
    permission_classes = [IsHostCall]
    parser_classes = [DepthLimitedJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly

    @extend_schema(
        operation_id="host_events", tags=["host platforms"], request=EventsInput,
        responses={
            202: OpenApiResponse(EventsOutput, description="Accepted for counting: how many events were taken, how "
                                                           "many were repeats, and each refused event's reason."),
            400: OpenApiResponse(description="Not a JSON object with an `events` list (`invalid`), or not JSON "
                                             "(`parse_error`)."),
            401: OpenApiResponse(description="Not signed, a stale or future timestamp, a bad signature or a replay."),
            404: OpenApiResponse(description="The key belongs to another host."),
            411: OpenApiResponse(description="`length_required`: the body was sent chunked; send it with a "
                                             "Content-Length, or its signature cannot be checked."),
            413: OpenApiResponse(description="More than 1,000 events (`too_many_events`) or a body over the limit "
                                             "(`request_too_large`)."),
            429: OpenApiResponse(description="The key's calls per minute; see Retry-After."),
            503: OpenApiResponse(description="`unavailable`: the console's database did not answer; send the same "
                                             "events again, signed afresh, after Retry-After seconds."),
        },
        examples=[OpenApiExample("batch", request_only=True, value=EXAMPLE_BATCH),
                  OpenApiExample("answer", response_only=True, status_codes=["202"], value={
                      "accepted": 2, "duplicates": 0, "rejected": [
                          {"index": 2, "reason": "program_not_on_host", "field": "appid",
                           "message": "2025000000000001 is not released on weibo."}]})],
        summary="Post a batch of usage events (host-signed)",
        description="Each event is validated on its own; the answer counts what was accepted and lists each refused "
                    "event's index and reason. The same event id again (a retry) counts once. Events up to "
                    "7 days late are accepted and land in their own day.",
    )
    def post(self, request, host):
        events = _events(request.data)
        answer = events_ingest(host=Host.objects.get(code=request.auth.host_code), events=events)
        return Response(answer.as_dict(), status=status.HTTP_202_ACCEPTED)


def _events(data) -> list:
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ValidationError({"events": ["Send a JSON object with an `events` list."]})
    events = data["events"]
    if len(events) > settings.STATS_MAX_EVENTS_PER_BATCH:
        raise TooManyEvents(f"At most {settings.STATS_MAX_EVENTS_PER_BATCH} events per call; this one has "
                            f"{len(events)}. Split the batch.")
    if not events:
        raise ValidationError({"events": ["The list is empty."]})
    return events
