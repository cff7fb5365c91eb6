from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from console.models import (
    ApiKey,
    AuditEvent,
    IdempotentRequest,
    Invitation,
    Membership,
    Notification,
    NotificationPreference,
    Organisation,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from console.services import organisation_set_verified


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "staff_groups", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    @admin.display(description=_("staff groups"))
    def staff_groups(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "verified", "member_count", "created_at"]
    list_filter = ["kind", "verified"]
    search_fields = ["name", "slug", "memberships__user__email"]
    # Verification changes only through the actions, so that each one is audited.
    readonly_fields = ["created_at", "verified", "verified_at"]
    fields = ["name", "slug", "kind", "verified", "verified_at", "max_package_bytes", "expedited_reviews_per_month",
              "created_by", "created_at"]
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline]
    actions = ["verify", "unverify"]

    @admin.action(description=_("Verify the selected organisations"))
    def verify(self, request, queryset):
        for org in queryset:
            organisation_set_verified(org=org, actor=request.user, verified=True)

    @admin.action(description=_("Withdraw verification of the selected organisations"))
    def unverify(self, request, queryset):
        for org in queryset:
            organisation_set_verified(org=org, actor=request.user, verified=False)

    @admin.display(description=_("number of members"))
    def member_count(self, obj):
        return obj.memberships.count()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organisation__name", "organisation__slug"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "status_words", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "invited_by"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_by"]

    @admin.display(description=_("status"))
    def status_words(self, invitation):
        return invitation.status_label


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "organisation", "created_by", "scope_list", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "organisation__name", "created_by__email"]
    list_select_related = ["organisation", "created_by"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Search every audit event on the platform; events are evidence, so they are read-only."""

    list_display = ["created_at", "actor_label", "action_words", "target_type_words", "target_label", "organisation"]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["actor_label", "action", "target_label", "target_id", "organisation__name"]
    list_select_related = ["organisation"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description=_("action"), ordering="action")
    def action_words(self, event):
        """The action in the reader's words (the code stays in the filter, the search and the event's page)."""
        return event.action_label

    @admin.display(description=_("target type"), ordering="target_type")
    def target_type_words(self, event):
        return event.target_type_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- notifications and webhooks


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "organisation", "event", "created_at", "read_at"]
    list_filter = ["event", "created_at"]
    search_fields = ["title", "user__email", "organisation__name"]
    list_select_related = ["user", "organisation"]
    raw_id_fields = ["user", "organisation"]
    readonly_fields = ["created_at"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_muted_events", "updated_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "organisation", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organisation__name", "organisation__slug"]
    list_select_related = ["organisation"]
    raw_id_fields = ["organisation", "created_by"]
    # The secret signs the organisation's deliveries: staff do not need to read it.
    exclude = ["secret"]
    readonly_fields = ["created_at"]

    def has_add_permission(self, request):
        return False  # endpoints are created in the portal, which generates the secret


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event", "status", "attempts", "response_code", "created_at", "delivered_at"]
    list_filter = ["status", "event"]
    search_fields = ["id", "endpoint__url", "endpoint__organisation__slug"]
    list_select_related = ["endpoint"]
    raw_id_fields = ["endpoint", "redelivery_of"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(admin.ModelAdmin):
    """For support: which keys a caller sent and what they were answered (the answer itself is sealed: it may hold
    a webhook's signing secret)."""

    list_display = ["key", "scope", "status_code", "created_at"]
    search_fields = ["key", "scope"]
    list_filter = ["status_code"]
    fields = readonly_fields = ["scope", "key", "fingerprint", "status_code", "headers", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

