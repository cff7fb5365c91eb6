from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from reviews.models import (
    AutoApprovalEvaluation,
    AutoApprovalPolicy,
    RejectionReason,
    ReviewClaim,
    ReviewDecision,
    ReviewMessage,
)


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "title_zh", "active", "position"]
    list_editable = ["active", "position"]
    list_filter = ["active"]
    search_fields = ["code", "title", "title_zh", "description", "description_zh"]
    prepopulated_fields = {"code": ["title"]}


@admin.register(ReviewClaim)
class ReviewClaimAdmin(admin.ModelAdmin):
    list_display = ["version", "reviewer", "claimed_at", "expires_at", "live"]
    list_select_related = ["version__program", "reviewer"]
    search_fields = ["version__program__name", "version__program__appid", "reviewer__email"]
    raw_id_fields = ["version", "reviewer"]
    date_hierarchy = "claimed_at"

    @admin.display(boolean=True, description=_("live"))
    def live(self, claim):
        return claim.is_live


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "reviewer", "automatic", "dry_run", "created_at"]
    list_filter = ["kind", "automatic", "dry_run", "reasons"]
    list_select_related = ["version__program", "reviewer"]
    search_fields = ["version__program__name", "version__program__appid", "reviewer__email", "text"]
    raw_id_fields = ["version", "reviewer"]
    filter_horizontal = ["reasons"]
    date_hierarchy = "created_at"
    readonly_fields = ["policy_reasons"]


@admin.register(ReviewMessage)
class ReviewMessageAdmin(admin.ModelAdmin):
    list_display = ["version", "author", "from_reviewer", "short_body", "created_at"]
    list_filter = ["from_reviewer"]
    list_select_related = ["version__program", "author"]
    search_fields = ["version__program__name", "version__program__appid", "author__email", "body"]
    raw_id_fields = ["version", "author", "decision"]
    date_hierarchy = "created_at"

    @admin.display(description=_("message"))
    def short_body(self, message):
        return message.body[:80]


@admin.register(AutoApprovalPolicy)
class AutoApprovalPolicyAdmin(admin.ModelAdmin):
    """One policy row: it can be edited, never added twice or deleted."""

    list_display = ["__str__", "enabled", "dry_run", "max_risk_score", "min_prior_releases", "require_verified_org",
                    "updated_at"]
    fieldsets = [
        (None, {"fields": ["enabled", "dry_run"]}),
        (_("Who qualifies"), {"fields": ["max_risk_score", "min_prior_releases", "require_verified_org"]}),
        (_("What may change since the last release"), {
            "fields": ["allow_new_permissions", "allow_new_domains", "allow_new_categories"]}),
    ]

    def has_add_permission(self, request):
        return not AutoApprovalPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """There is one policy: a link or bookmark to "add" one opens it instead of answering 403."""
        policy = AutoApprovalPolicy.objects.first()
        if policy is not None and self.has_change_permission(request, policy):
            return redirect("admin:reviews_autoapprovalpolicy_change", policy.pk)
        return super().add_view(request, form_url, extra_context)


@admin.register(AutoApprovalEvaluation)
class AutoApprovalEvaluationAdmin(admin.ModelAdmin):
    list_display = ["version", "outcome", "submitted_at", "evaluated_at"]
    list_filter = ["outcome"]
    list_select_related = ["version__program"]
    search_fields = ["version__program__name", "version__program__appid"]
    readonly_fields = ["version", "submitted_at", "outcome", "reasons", "evaluated_at"]

    def has_add_permission(self, request):
        return False
