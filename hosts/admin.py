from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from hosts.models import Host, PackageSizeLimit, Scene
from hosts.services import scene_set_status


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "active", "position", "operator_count"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_zh"]
    filter_horizontal = ["operators"]
    list_editable = ["active", "position"]

    @admin.display(description="operators")
    def operator_count(self, obj):
        return obj.operators.count()


@admin.register(PackageSizeLimit)
class PackageSizeLimitAdmin(admin.ModelAdmin):
    list_display = ["dialect", "host", "main_bytes", "subpackage_bytes", "full_bytes"]
    list_filter = ["dialect", "host"]
    search_fields = ["dialect", "host__code", "host__name"]
    list_select_related = ["host"]


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    """Scenes and their rules are data: operators tighten caps, open categories, pause a scene here."""

    list_display = ["code", "host", "name", "status", "needs_whitelist", "service_types_only", "needs_verified_org",
                    "share_cap", "share_window_seconds", "daily_cap", "default_rollout_percent", "max_grant_days",
                    "evidence_required", "placement_kind"]
    list_filter = ["host", "status", "needs_whitelist", "placement_kind"]
    search_fields = ["code", "name", "name_zh"]
    list_select_related = ["host"]
    readonly_fields = ["status", "updated_at"]
    actions = ["pause", "resume"]
    fieldsets = [
        (None, {"fields": ["host", "code", "name", "name_zh", "description", "description_zh", "position",
                           "status", "updated_at"]}),
        (_("Rule"), {"fields": ["needs_whitelist", "allowed_categories", "service_types_only", "needs_verified_org",
                                "share_cap", "share_window_seconds", "daily_cap", "default_rollout_percent",
                                "max_grant_days", "evidence_required", "placement_kind"]}),
    ]

    def _set(self, request, queryset, status: str) -> int:
        return sum(scene_set_status(scene=scene, actor=request.user, status=status) for scene in queryset)

    @admin.action(description=_("Pause the selected scenes (the gate refuses them within a second)"))
    def pause(self, request, queryset):
        self.message_user(request, _("%(n)d scenes paused.") % {"n": self._set(request, queryset, Scene.Status.PAUSED)})

    @admin.action(description=_("Resume the selected scenes"))
    def resume(self, request, queryset):
        self.message_user(request, _("%(n)d scenes resumed.") % {"n": self._set(request, queryset, Scene.Status.ACTIVE)})
