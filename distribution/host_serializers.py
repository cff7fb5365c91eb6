"""Input and output shapes of the host calls (SPEC §9); limits come from the models they refer to."""

from rest_framework import serializers

from distribution.gate import GateReason
from distribution.models import Placement


class ShareCheckInput(serializers.Serializer):
    """Plain CharFields only: the gate validates with these fields' limits directly (host_apis.validated)."""

    appid = serializers.CharField(max_length=16)
    scene = serializers.CharField(max_length=60)
    user = serializers.CharField(max_length=128, help_text="The host's pseudonymous id of the sharing user.")
    share_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    page = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ShareCheckOutput(serializers.Serializer):
    allow = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=GateReason.choices)
    retry_after = serializers.IntegerField(
        allow_null=True, help_text="Seconds until a capped share could be allowed; null for other answers.")


class PlacementsQuery(serializers.Serializer):
    scene = serializers.CharField(max_length=60)
    account = serializers.CharField(max_length=Placement._meta.get_field("account_uid").max_length, required=False)
    topic = serializers.CharField(max_length=Placement._meta.get_field("topic").max_length, required=False)

    def validate(self, data):
        if ("account" in data) == ("topic" in data):
            raise serializers.ValidationError("Give exactly one of account (a profile) or topic (a topic or lottery).")
        return data


class CardOutput(serializers.Serializer):
    appid = serializers.CharField()
    name = serializers.CharField()
    logo = serializers.CharField(help_text="Absolute URL of the program's logo; empty when it has none.")
    title = serializers.CharField()
    landing_page = serializers.CharField(help_text="A page path inside the program; empty: its entry page.")
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)


class PlacementsOutput(serializers.Serializer):
    scene = serializers.CharField()
    active = serializers.BooleanField(help_text="False while the scene is paused: show nothing.")
    cards = CardOutput(many=True)
