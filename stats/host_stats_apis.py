"""A host's stats in the API, for its operators: what the host dashboard shows, as JSON.

Operators are platform staff and sign in to the console: these calls take their session (no organisation
key reaches them), under /api/v1/distribution/ with the operators' other calls. The paths under
/api/v1/hosts/ are the hosts' own signed calls (SPEC §9), which this is not.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from console.models import ApiKey
from hosts.selectors import host_operated_by
from stats.selectors import (
    Granularity,
    gate_answers,
    host_program_totals,
    host_scene_totals,
    host_series,
    host_totals,
    partial_day,
)
from stats.serializers import RangeOutput, StatsQueryInput

PROGRAMS_SHOWN = 100


class HostMetricsOutput(serializers.Serializer):
    """What adds up over a host's programs; distinct users are counted per program, so a host has none."""

    visits = serializers.IntegerField()
    new_users = serializers.IntegerField()
    shares = serializers.IntegerField()
    share_opens = serializers.IntegerField()
    payments = serializers.IntegerField()
    revenue = serializers.FloatField(help_text="Yuan.")


class HostPeriodOutput(HostMetricsOutput):
    period = serializers.DateField(help_text="First day of the day, week (Monday) or month.")
    first_day = serializers.DateField()
    last_day = serializers.DateField()


class HostSceneOutput(HostMetricsOutput):
    scene = serializers.CharField()
    page_views = serializers.IntegerField()
    avg_stay_seconds = serializers.FloatField()


class HostProgramOutput(serializers.Serializer):
    appid = serializers.CharField()
    name = serializers.CharField()
    visits = serializers.IntegerField()
    shares = serializers.IntegerField()
    new_users = serializers.IntegerField()
    revenue = serializers.FloatField(help_text="Yuan.")


class GateAnswerOutput(serializers.Serializer):
    scene = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="The gate's reason code (`ok` when allowed).")
    count = serializers.IntegerField()


class HostStatsOutput(serializers.Serializer):
    host = serializers.CharField()
    range = RangeOutput()
    totals = HostMetricsOutput()
    series = HostPeriodOutput(many=True)
    scenes = HostSceneOutput(many=True)
    programs = HostProgramOutput(many=True, help_text=f"The {PROGRAMS_SHOWN} programs with the most visits.")
    gate = GateAnswerOutput(many=True, help_text="The share gate's answers per scene and reason.")


class SignedInWithoutAKey(permissions.BasePermission):
    """A session, as the host dashboard's: which host a user operates decides the rest (`host_operated_by`)."""

    message = "A host's stats are for its operators signed in to the console; organisation API keys do not reach them."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and not isinstance(request.auth, ApiKey))


class HostStatsApi(APIView):
    permission_classes = [SignedInWithoutAKey]
    query_params = ("from", "to", "granularity")
    accepts_api_keys = False  # the schema names the session only
    error_statuses = {404: "No such host, or not one the operator works."}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day; default 29 days before `to`."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); default today."),
            OpenApiParameter("granularity", OpenApiTypes.STR, enum=list(Granularity.ALL)),
        ],
        responses=OpenApiResponse(HostStatsOutput, description="The host's totals, series, scenes, top programs "
                                                               "and share-gate answers over the range."),
        summary="A host's stats (its operators)",
    )
    def get(self, request, host):
        host = host_operated_by(request.user, host)
        query = StatsQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        query = query.validated_data["query"]
        start, end = query.start, query.end
        return Response(HostStatsOutput({
            "host": host.code,
            "range": {"from": start, "to": end, "granularity": query.granularity,
                      "partial_day": partial_day(start, end)},
            "totals": host_totals(host=host.code, start=start, end=end),
            "series": host_series(host=host.code, query=query),
            "scenes": host_scene_totals(host=host.code, start=start, end=end),
            "programs": host_program_totals(host=host.code, start=start, end=end, limit=PROGRAMS_SHOWN),
            "gate": gate_answers(host=host.code, start=start, end=end),
        }).data)

