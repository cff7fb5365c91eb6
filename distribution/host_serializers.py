"""Input and output shapes of the host calls (SPEC §9); limits come from the models they refer to."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from distribution.gate import GateReason
from distribution.models import Placement
from hosts import fields as host_fields


class HostText(serializers.CharField):
    """A text field of a host call, by the rules the events keep too (`hosts.fields`): a string as sent (no
    number made text, nothing trimmed, so a user is the same user in the gate and in the events), not only
    spaces, without control characters, and an id where `is_id`."""

    default_error_messages = {
        "control": _("Must not hold control characters."),
        "not_an_id": _("May hold only letters, digits and . _ : - (up to 64, starting with a letter or digit)."),
    }

    def __init__(self, *, is_id: bool = False, **kwargs):
        self.is_id = is_id
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        if type(data) is not str:
            self.fail("invalid")
        if not data.strip():  # only spaces: blank, as the events refuse it
            self.fail("blank")
        if not host_fields.is_text(data):
            self.fail("control")
        if self.is_id and not host_fields.is_id(data):
            self.fail("not_an_id")
        return data


class ShareCheckInput(serializers.Serializer):
    """HostText fields only: the gate validates with these fields' rules directly (host_apis.validated)."""

    appid = HostText(max_length=16)
    scene = HostText(max_length=60)
    user = HostText(max_length=host_fields.MAX_USER_LENGTH,
                    help_text="The host's pseudonymous id of the sharing user, as in its events.")
    share_id = HostText(is_id=True, max_length=64, required=False, allow_blank=True, default="",
                        help_text=f"The share's id, as in its `share` event: {host_fields.ID_RULE}.")
    page = HostText(max_length=host_fields.MAX_PAGE_LENGTH, required=False, allow_blank=True, default="")


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
