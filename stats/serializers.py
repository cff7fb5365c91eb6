"""The stats query (shared by the API, the dashboard and the CSV export) and the documented answer."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from console.api_fields import ChoiceField
from hosts.models import Host, Scene
from stats.selectors import Granularity, StatsQuery

MAX_RANGE_DAYS = 366
# No stats exist before this day or after a year from today; dates far out (9999-12-31, 0001-01-01) made
# the reads' own arithmetic (retention's 30 days after, the previous period before) overflow as a 500.
EARLIEST = date(2000, 1, 1)
DEFAULT_RANGE_DAYS = 30
# DRF says "Date has wrong format" for 2026-13-01 too, whose format is right: the day is what does not exist.
DAY_NEEDED = gettext_lazy("Give a day that exists, as YYYY-MM-DD.")


class StatsQueryInput(serializers.Serializer):
    start = serializers.DateField(
        required=False, error_messages={"invalid": DAY_NEEDED},
        help_text="First day (platform time zone), not before 2000-01-01, at most 365 days before `to`; default 29 "
                  "days before `to`.")
    end = serializers.DateField(
        required=False, error_messages={"invalid": DAY_NEEDED},
        help_text="Last day, inclusive, at most a year from today; default today.")
    host = serializers.SlugField(required=False, allow_blank=True, max_length=30, help_text="A host code.")
    scene = serializers.CharField(required=False, allow_blank=True, max_length=60, help_text="A scene code.")
    granularity = ChoiceField(choices=Granularity.ALL, required=False, default=Granularity.DAY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword: the public names are `from` and `to`; validated data keeps start and end.
        self.fields["from"] = self.fields.pop("start")
        self.fields["to"] = self.fields.pop("end")

    def validate_host(self, value):
        if value and not Host.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("No such host."))
        return value

    def validate_scene(self, value):
        if value and not Scene.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("No such scene."))
        return value

    def validate(self, data):
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        _check_range(start, end)
        host, scene = data.get("host", ""), data.get("scene", "")
        if host and scene and not scene.startswith(f"{host}."):
            raise serializers.ValidationError({"scene": [_("This scene is not on the chosen host.")]})
        return {"query": StatsQuery(start=start, end=end, host=host, scene=scene,
                                    granularity=data.get("granularity") or Granularity.DAY)}


def _check_range(start: date, end: date) -> None:
    if start < EARLIEST:
        raise serializers.ValidationError({"from": [_("Choose a day from %(day)s on.") % {"day": EARLIEST.isoformat()}]})
    latest = timezone.localdate() + timedelta(days=MAX_RANGE_DAYS)
    if end > latest:
        raise serializers.ValidationError({"to": [
            _("Choose a day up to %(day)s, a year from today.") % {"day": latest.isoformat()}]})
    if start > end:
        raise serializers.ValidationError({"from": [_("“From” is after “To”.")]})
    if (end - start).days >= MAX_RANGE_DAYS:
        raise serializers.ValidationError({"from": [_("Choose at most %(days)d days.") % {"days": MAX_RANGE_DAYS}]})


class MetricsOutput(serializers.Serializer):
    visits = serializers.IntegerField()
    page_views = serializers.IntegerField()
    unique_visitors = serializers.IntegerField()
    new_users = serializers.IntegerField()
    avg_stay_seconds = serializers.FloatField()
    shares = serializers.IntegerField()
    share_users = serializers.IntegerField()
    share_opens = serializers.IntegerField()
    payments = serializers.IntegerField()
    revenue = serializers.FloatField(help_text="Yuan.")


class PeriodOutput(MetricsOutput):
    period = serializers.DateField(help_text="First day of the day, week (Monday) or month.")
    first_day = serializers.DateField(
        help_text="The first day the row counts: `period`, or the range's first day when the range starts inside "
                  "the week or month.")
    last_day = serializers.DateField(
        help_text="The last day the row counts: the period's last, or the range's last day when it ends inside it.")


class BreakdownOutput(MetricsOutput):
    host = serializers.CharField()
    scene = serializers.CharField()


class RetentionOutput(serializers.Serializer):
    cohort = serializers.DateField()
    new_users = serializers.IntegerField()
    day_1 = serializers.FloatField(allow_null=True, help_text="Share of the cohort active 1 day later; null until then.")
    day_7 = serializers.FloatField(allow_null=True)
    day_14 = serializers.FloatField(allow_null=True)
    day_30 = serializers.FloatField(allow_null=True)


class ChainLevelOutput(serializers.Serializer):
    depth = serializers.IntegerField()
    shares = serializers.IntegerField()
    opens = serializers.IntegerField()
    new_users = serializers.IntegerField()


class ChainOutput(serializers.Serializer):
    root_share_id = serializers.CharField()
    root_sharer = serializers.CharField(help_text="A pseudonym of the root sharer.")
    shares = serializers.IntegerField()
    depth = serializers.IntegerField()
    opens = serializers.IntegerField()
    new_users = serializers.IntegerField()
    levels = ChainLevelOutput(many=True)


class DepthOutput(serializers.Serializer):
    depth = serializers.IntegerField()
    shares = serializers.IntegerField()


class FissionOutput(serializers.Serializer):
    share_rate = serializers.FloatField(help_text="Share users ÷ active users.")
    opens_per_share = serializers.FloatField(help_text="Share opens ÷ shares.")
    k_factor = serializers.FloatField(help_text="New users who arrived through a share ÷ sharing users.")
    new_users_via_share = serializers.IntegerField()
    max_depth = serializers.IntegerField()
    depth_distribution = DepthOutput(many=True)
    top_chains = ChainOutput(many=True)


class StatsProgramOutput(serializers.Serializer):
    appid = serializers.CharField()
    name = serializers.CharField()


class RangeOutput(serializers.Serializer):
    """The days and periods as they were applied, defaults filled in."""

    # `from` is a Python keyword: declared below under its public name.
    to = serializers.DateField(help_text="Last day, inclusive.")
    granularity = ChoiceField(choices=Granularity.ALL)
    partial_day = serializers.DateField(
        allow_null=True,
        help_text="Today, when the range reaches it: a day not over, so every number that counts it (the last "
                  "period, the retention cells whose day it is) grows until midnight. Null when every day is over.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.DateField(help_text="First day.")


class StatsRangeOutput(RangeOutput):
    """The query as it was applied, defaults filled in."""

    host = serializers.CharField(help_text="A host code, or empty: every host.")
    scene = serializers.CharField(help_text="A scene code, or empty: every scene.")


class StatsOutput(serializers.Serializer):
    program = StatsProgramOutput()
    range = StatsRangeOutput()
    totals = MetricsOutput()
    series = PeriodOutput(many=True)
    breakdown = BreakdownOutput(many=True)
    retention = RetentionOutput(many=True, help_text="Also day_2 … day_6.")
    fission = FissionOutput()
