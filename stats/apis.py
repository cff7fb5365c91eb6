"""Stats in the API: the same numbers as the dashboard, as JSON or CSV."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_fields import ChoiceField
from console.roles import Scope
from programs.apis import ProgramAccessMixin
from stats.export import TABLES, stats_csv
from stats.selectors import program_stats
from stats.serializers import StatsOutput, StatsQueryInput

QUERY_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day; default 29 days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); default today."),
    OpenApiParameter("host", OpenApiTypes.STR, description="Only this host."),
    OpenApiParameter("scene", OpenApiTypes.STR, description="Only this scene."),
    OpenApiParameter("granularity", OpenApiTypes.STR, enum=["day", "week", "month"]),
]


class _StatsApi(ProgramAccessMixin, APIView):
    read_scope = Scope.STATS_READ
    query_params = tuple(StatsQueryInput().fields)

    def stats(self, program) -> dict:
        """The program's stats over the request's query (the caller reached the program first: an outsider's 404
        comes before any word on their query)."""
        query = StatsQueryInput(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return program_stats(program, query.validated_data["query"])


class ProgramStatsApi(_StatsApi):
    @extend_schema(parameters=QUERY_PARAMETERS, summary="A program's stats",
                   responses=OpenApiResponse(StatsOutput, description="The stats over the range asked for: totals, "
                                                                      "the series, the breakdown, retention and "
                                                                      "fission."))
    def get(self, request, appid):
        program, _ = self.program(appid)
        return Response(self.stats(program))


class ExportQueryInput(serializers.Serializer):
    table = ChoiceField(choices=TABLES)


class ProgramStatsExportApi(_StatsApi):
    query_params = (*_StatsApi.query_params, "table")
    @extend_schema(
        parameters=[*QUERY_PARAMETERS, OpenApiParameter("table", OpenApiTypes.STR, enum=list(TABLES), required=True)],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The table as CSV.")},
        summary="A program's stats table as CSV",
    )
    def get(self, request, appid):
        program, _ = self.program(appid)
        table = ExportQueryInput(data=request.query_params)
        table.is_valid(raise_exception=True)
        return csv_response(self.stats(program), table.validated_data["table"], appid)


def csv_response(stats: dict, table: str, appid: str, *, for_spreadsheets: bool = False) -> HttpResponse:
    period = stats["range"]
    name = f"{appid}-{table_name(table, period['granularity'])}-{period['from']}-{period['to']}.csv"
    return csv_file(stats_csv(stats, table, for_spreadsheets=for_spreadsheets), name, for_spreadsheets=for_spreadsheets)


def table_name(table: str, granularity: str) -> str:
    """A file's table, with the series' periods when they are not days: a weekly series downloaded after the daily
    one of the same range had its name, and the browser saved it as "(1)"."""
    return f"{table}-{granularity}" if table == "series" and granularity != "day" else table


# Excel reads a UTF-8 file without a byte order mark in the system's code page (GBK on a Chinese Windows),
# and every Chinese name comes out garbled. Files downloaded from the pages carry the mark; the API's
# files do not, since a program reading them would find it glued to the first column's name.
BYTE_ORDER_MARK = "\ufeff"


def csv_file(text: str, name: str, *, for_spreadsheets: bool = False) -> HttpResponse:
    if for_spreadsheets:
        text = BYTE_ORDER_MARK + text
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
