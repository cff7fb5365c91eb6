"""Input and output shapes of the distribution API."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from console.api_fields import ChoiceField, StrictInput
from console.openapi import UploadField
from distribution.models import CAP_MAX, WINDOW_MAX_SECONDS, Grant, Placement, WhitelistRequest
from distribution.selectors import QueueFilters, scenes
from hosts.models import Scene


class SceneRuleOutput(serializers.ModelSerializer):
    host = serializers.CharField(source="host.code")
    host_name = serializers.CharField(source="host.name")
    name = serializers.CharField(source="display_name")
    description = serializers.CharField(source="display_description")
    rule = serializers.SerializerMethodField()

    class Meta:
        model = Scene
        fields = ["code", "host", "host_name", "name", "description", "status", "rule"]

    def get_rule(self, scene) -> dict:
        return {
            "needs_whitelist": scene.needs_whitelist, "allowed_categories": scene.allowed_categories,
            "service_types_only": scene.service_types_only, "needs_verified_org": scene.needs_verified_org,
            "share_cap": scene.share_cap, "share_window_seconds": scene.share_window_seconds,
            "daily_cap": scene.daily_cap, "default_rollout_percent": scene.default_rollout_percent,
            "max_grant_days": scene.max_grant_days, "evidence_required": scene.evidence_required,
            "placement_kind": scene.placement_kind,
        }


class GrantPlacementOutput(serializers.ModelSerializer):
    class Meta:
        model = Placement
        fields = ["kind", "account_uid", "account_name", "topic", "title", "starts_at", "ends_at", "landing_page"]


class WhitelistGrantOutput(serializers.ModelSerializer):
    scene = serializers.CharField(source="scene.code")
    share_cap = serializers.IntegerField(source="effective_share_cap", allow_null=True)
    share_window_seconds = serializers.IntegerField(source="effective_share_window")
    daily_cap = serializers.IntegerField(source="effective_daily_cap", allow_null=True)
    placements = GrantPlacementOutput(many=True)
    revoke_reason = serializers.CharField(source="revoke_reason.code", default="")

    class Meta:
        model = Grant
        fields = ["id", "scene", "status", "valid_from", "valid_until", "share_cap", "share_window_seconds",
                  "daily_cap", "rollout_percent", "placements", "revoke_reason", "revoke_text"]


class EvidenceFileOutput(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class WhitelistRequestOutput(serializers.ModelSerializer):
    scene = serializers.CharField(source="scene.code")
    host = serializers.CharField(source="scene.host.code")
    evidence = EvidenceFileOutput(many=True)
    rejection_reason = serializers.CharField(source="rejection_reason.code", default="")
    renewal_of = serializers.IntegerField(source="renewal_of_id", allow_null=True)
    grant_id = serializers.SerializerMethodField()

    class Meta:
        model = WhitelistRequest
        fields = ["id", "scene", "host", "status", "justification", "evidence", "renewal_of", "created_at",
                  "decided_at", "rejection_reason", "decision_text", "grant_id"]

    def get_grant_id(self, request) -> int | None:
        grant = getattr(request, "grant", None) if request.status == WhitelistRequest.Status.APPROVED else None
        return grant.pk if grant else None


class WhitelistRequestInput(StrictInput, serializers.Serializer):
    scene = serializers.CharField(help_text="A scene code, e.g. `weibo.profile`.")
    justification = serializers.CharField(max_length=2000, help_text="Why the program belongs in this scene.")
    evidence = serializers.ListField(child=UploadField(), required=False, default=list,
                                     help_text="Evidence files (PDF, PNG or JPEG) where the scene asks for them; "
                                               "send multipart/form-data.")

    def validate_scene(self, value) -> Scene:
        """The scene is a field of the request: an unknown one is a 400 naming it, not a 404 read as the program's."""
        scene = scenes().filter(code=value).first()
        if scene is None:
            raise serializers.ValidationError(_("No such scene."))
        return scene


class SceneStateOutput(serializers.Serializer):
    scene = serializers.CharField(source="scene.code")
    name = serializers.CharField(source="scene.display_name")
    needs_whitelist = serializers.BooleanField(source="scene.needs_whitelist")
    scene_status = serializers.CharField(source="scene.status")
    state = serializers.CharField()
    reason = serializers.CharField(source="reason_code", help_text="Why the program cannot be in the scene now.")
    reason_text = serializers.CharField(source="reason")
    can_request = serializers.BooleanField()
    can_renew = serializers.BooleanField()
    renewal_pending = serializers.BooleanField()
    request = serializers.SerializerMethodField()
    grant = serializers.SerializerMethodField()

    def get_request(self, row) -> dict | None:
        r = row.request
        if r is None:
            return None
        moment = serializers.DateTimeField()  # as every other time of the API: the platform's offset, not UTC's Z
        return {"id": r.pk, "status": r.status, "created_at": moment.to_representation(r.created_at),
                "decided_at": moment.to_representation(r.decided_at) if r.decided_at else None,
                "rejection_reason": r.rejection_reason.code if r.rejection_reason else "",
                "decision_text": r.decision_text}

    def get_grant(self, row) -> dict | None:
        return WhitelistGrantOutput(row.grant).data if row.grant is not None else None


class DistributionHostOutput(serializers.Serializer):
    host = serializers.CharField(source="host.code")
    host_name = serializers.CharField(source="host.name")
    scenes = SceneStateOutput(source="rows", many=True)


# ---------------------------------------------------------------- operators


class WhitelistQueueQuery(serializers.Serializer):
    host = serializers.CharField(required=False, allow_blank=True, default="")
    scene = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, default="")
    org = serializers.CharField(required=False, allow_blank=True, default="", help_text="Organisation name or slug.")
    age = serializers.IntegerField(required=False, min_value=0, max_value=365, allow_null=True, default=None,
                                   help_text="Only requests waiting more than this many days.")

    def filters(self) -> QueueFilters:
        d = self.validated_data
        return QueueFilters(host=d["host"], scene=d["scene"], category=d["category"], org=d["org"],
                            min_age_days=d["age"])


class WhitelistQueueItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    appid = serializers.CharField(source="program.appid")
    program = serializers.CharField(source="program.name")
    organisation = serializers.CharField(source="program.organisation.name")
    organisation_verified = serializers.BooleanField(source="program.organisation.verified")
    categories = serializers.SerializerMethodField()
    scene = serializers.CharField(source="scene.code")
    host = serializers.CharField(source="scene.host.code")
    renewal = serializers.SerializerMethodField()
    evidence_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_categories(self, request) -> list[str]:
        return [c.code for c in request.program.categories.all()]

    def get_renewal(self, request) -> bool:
        return request.renewal_of_id is not None


class GrantPlacementInput(StrictInput, serializers.Serializer):
    account_uid = serializers.CharField(required=False, allow_blank=True, max_length=40)
    account_name = serializers.CharField(required=False, allow_blank=True, max_length=80)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=120)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    landing_page = serializers.CharField(required=False, allow_blank=True, max_length=200)


class GrantTermsInput(StrictInput, serializers.Serializer):
    """A live grant's caps and rollout; a cap left out or null is the scene's rule."""

    share_cap = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=CAP_MAX, default=None)
    share_window_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                                    max_value=WINDOW_MAX_SECONDS, default=None)
    daily_cap = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=CAP_MAX, default=None)
    rollout_percent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100,
                                               default=None, help_text="Left out: the scene's default rollout.")


class WhitelistDecisionInput(StrictInput, serializers.Serializer):
    decision = ChoiceField(choices=["approve", "reject"])
    valid_until = serializers.DateTimeField(required=False, allow_null=True, help_text="Approve: when the grant ends.")
    share_cap = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=CAP_MAX)
    share_window_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                                    max_value=WINDOW_MAX_SECONDS)
    daily_cap = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=CAP_MAX)
    rollout_percent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
    placements = GrantPlacementInput(many=True, required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Reject: a reason code.")
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, data):
        if data["decision"] == "approve" and not data.get("valid_until"):
            raise serializers.ValidationError({"valid_until": "Say when the grant ends."})
        if data["decision"] == "reject" and not data["reason"]:
            raise serializers.ValidationError({"reason": "Choose a reason code."})
        return data


class GrantRevokeInput(StrictInput, serializers.Serializer):
    reason = serializers.CharField(help_text="A reason code from the catalog.")
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
