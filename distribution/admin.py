"""Admin pages of the distribution app: the rejection reason catalog, and read-mostly requests and grants.

Decisions go through the operators' pages (they check eligibility, lock and audit); the admin lists
them for search and support.
"""

from django.contrib import admin

from distribution.models import DistributionRejectionReason, EvidenceFile, Grant, Placement, WhitelistRequest


@admin.register(DistributionRejectionReason)
class DistributionRejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "title_zh", "active", "position"]
    list_editable = ["active", "position"]
    list_filter = ["active"]
    search_fields = ["code", "title", "title_zh", "description", "description_zh"]
    prepopulated_fields = {"code": ["title"]}


class EvidenceInline(admin.TabularInline):
    model = EvidenceFile
    extra = 0
    readonly_fields = ["file", "original_name", "content_type", "size", "uploaded_at"]
    can_delete = False


@admin.register(WhitelistRequest)
class WhitelistRequestAdmin(admin.ModelAdmin):
    list_display = ["program", "scene", "status", "created_at", "decided_at", "decided_by"]
    list_filter = ["status", "scene__host", "scene"]
    list_select_related = ["program", "scene", "decided_by"]
    search_fields = ["program__name", "program__appid", "program__organisation__name"]
    date_hierarchy = "created_at"
    inlines = [EvidenceInline]
    readonly_fields = [f.name for f in WhitelistRequest._meta.fields]

    def has_add_permission(self, request):
        return False


class PlacementInline(admin.TabularInline):
    model = Placement
    extra = 0
    readonly_fields = ["kind", "account_uid", "account_name", "topic", "title", "starts_at", "ends_at", "landing_page"]
    can_delete = False


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["program", "scene", "status", "valid_from", "valid_until", "rollout_percent", "granted_by"]
    list_filter = ["status", "scene__host", "scene"]
    list_select_related = ["program", "scene", "granted_by"]
    search_fields = ["program__name", "program__appid", "program__organisation__name"]
    date_hierarchy = "valid_until"
    inlines = [PlacementInline]
    readonly_fields = [f.name for f in Grant._meta.fields]

    def has_add_permission(self, request):
        return False
