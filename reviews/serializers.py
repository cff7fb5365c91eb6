"""Input and output shapes of the reviews API."""

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from console.api_fields import StrictInput
from hosts.models import Host
from reviews.models import RejectionReason, ReviewClaim, ReviewDecision, ReviewMessage
from reviews.selectors import SORTS, QueueFilters

# No decision names more reasons or hosts than this (both catalogs are a few dozen rows).
MAX_LISTED_CODES = 50


class QueueQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", help_text="Program name or AppID prefix.")
    category = serializers.CharField(required=False, allow_blank=True, default="", help_text="A category code.")
    host = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="A host code: first releases, and updates of programs whose current release covers that host.",
    )
    risk_min = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)
    risk_max = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)
    org = serializers.CharField(required=False, allow_blank=True, default="", help_text="Organisation name or slug.")
    age = serializers.IntegerField(required=False, min_value=0, max_value=365, allow_null=True, default=None,
                                   help_text="Only versions waiting more than this many days.")
    expedited = serializers.BooleanField(required=False, default=False, help_text="Only expedited reviews.")
    sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="due")

    def filters(self) -> QueueFilters:
        data = self.validated_data
        return QueueFilters(q=data["q"], category=data["category"], host=data["host"], risk_min=data["risk_min"],
                            risk_max=data["risk_max"], org=data["org"], min_age_days=data["age"],
                            expedited=data["expedited"], sort=data["sort"])


class OrganisationBrief(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    verified = serializers.BooleanField()


class ClaimOutput(serializers.ModelSerializer):
    reviewer = serializers.EmailField(source="reviewer.email")
    reviewer_name = serializers.CharField(source="reviewer.display_name")

    class Meta:
        model = ReviewClaim
        fields = ["version_id", "reviewer", "reviewer_name", "claimed_at", "expires_at"]


class QueueItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    appid = serializers.CharField(source="program.appid")
    program = serializers.CharField(source="program.name")
    version = serializers.CharField()
    organisation = OrganisationBrief(source="program.organisation")
    categories = serializers.SerializerMethodField()
    risk_score = serializers.IntegerField(allow_null=True)
    expedited = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    review_due_at = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()
    claim = serializers.SerializerMethodField()
    review_page = serializers.SerializerMethodField()

    def get_categories(self, version) -> list[str]:
        return list((version.submitted_metadata or {}).get("categories") or [])

    def get_overdue(self, version) -> bool:
        return bool(version.review_due_at and version.review_due_at < timezone.now())

    def get_claim(self, version) -> dict | None:
        claim = getattr(version, "review_claim", None)
        return ClaimOutput(claim).data if claim is not None and claim.is_live else None

    def get_review_page(self, version) -> str:
        return self.context["request"].build_absolute_uri(reverse("review_detail", args=[version.pk]))


def _limit(model, field: str) -> int:
    return model._meta.get_field(field).max_length


class DecisionInput(StrictInput, serializers.Serializer):
    """Text limits come from the models; the lists are capped at what the catalogs could ever hold in one decision."""

    decision = serializers.ChoiceField(choices=ReviewDecision.Kind.choices)
    reasons = serializers.ListField(child=serializers.SlugField(max_length=_limit(RejectionReason, "code")),
                                    required=False, default=list, max_length=MAX_LISTED_CODES,
                                    help_text="Rejection reason codes: at least one to reject.")
    text = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=_limit(ReviewDecision, "text"),
                                 help_text="To the developer; required to request changes.")
    hosts = serializers.ListField(child=serializers.SlugField(max_length=_limit(Host, "code")), required=False,
                                  default=list, max_length=MAX_LISTED_CODES,
                                  help_text="Approve only for these host codes; empty approves for every host.")


class DecisionOutput(serializers.ModelSerializer):
    decision = serializers.CharField(source="kind")
    version_id = serializers.IntegerField()
    reviewer = serializers.SerializerMethodField()
    reasons = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    version_status = serializers.CharField(source="version.status")
    awaiting_developer = serializers.BooleanField(source="version.awaiting_developer")

    class Meta:
        model = ReviewDecision
        fields = ["id", "version_id", "decision", "reviewer", "reasons", "text", "hosts", "automatic", "dry_run",
                  "created_at", "version_status", "awaiting_developer"]

    def get_reviewer(self, decision) -> str | None:
        return decision.reviewer.email if decision.reviewer else None


class MessageInput(StrictInput, serializers.Serializer):
    body = serializers.CharField(max_length=_limit(ReviewMessage, "body"))


class MessageOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author_label", help_text="Reviewers appear as “Reviewer”.")
    decision = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = ReviewMessage
        fields = ["id", "from_reviewer", "author", "body", "decision", "reasons", "created_at"]

    def get_decision(self, message) -> str | None:
        return message.decision.kind if message.decision else None

    def get_reasons(self, message) -> list[dict]:
        if not message.decision:
            return []
        return [{"code": r.code, "title": r.display_title, "description": r.display_description}
                for r in message.decision.reasons.all()]
