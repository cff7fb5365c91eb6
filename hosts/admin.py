from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hosts.models import Host, HostCredential, PackageSizeLimit, Scene
from hosts.services import credential_create, credential_revoke, credential_set_rate_limit, scene_set_status


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "active", "position", "operator_count"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_zh"]
    filter_horizontal = ["operators"]
    list_editable = ["active", "position"]

    @admin.display(description=_("number of operators"))
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
        n = self._set(request, queryset, Scene.Status.PAUSED)
        self.message_user(request, ngettext("%(n)d scene paused.", "%(n)d scenes paused.", n) % {"n": n})

    @admin.action(description=_("Resume the selected scenes"))
    def resume(self, request, queryset):
        n = self._set(request, queryset, Scene.Status.ACTIVE)
        self.message_user(request, ngettext("%(n)d scene resumed.", "%(n)d scenes resumed.", n) % {"n": n})


class HostCredentialForm(forms.ModelForm):
    class Meta:
        model = HostCredential
        fields = ["host", "name", "requests_per_minute"]


@admin.register(HostCredential)
class HostCredentialAdmin(admin.ModelAdmin):
    """Create (the secret is shown once, in the confirmation), rotate (two active at most) and revoke.

    Nothing else about a credential can change, and it is never deleted: revoking keeps the record."""

    form = HostCredentialForm
    list_display = ["key_id", "host", "name", "requests_per_minute", "created_at", "created_by", "revoked_at"]
    list_filter = ["host", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["key_id", "name", "host__code"]
    list_select_related = ["host", "created_by"]
    readonly_fields = ["key_id", "created_at", "created_by", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["host", "name", "requests_per_minute"]
        return ["host", "name", "key_id", "requests_per_minute", "created_at", "created_by", "revoked_at", "revoked_by"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "host", "name"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:  # only the rate limit can change
            credential_set_rate_limit(credential=obj, actor=request.user, requests_per_minute=obj.requests_per_minute)
            return
        try:
            credential, secret = credential_create(host=obj.host, actor=request.user, name=obj.name,
                                                   requests_per_minute=obj.requests_per_minute)
        except ValidationError as exc:
            raise PermissionDenied(exc.messages[0]) from exc
        obj.pk, obj.key_id = credential.pk, credential.key_id
        messages.warning(request, format_html(
            _("Copy the secret now: it is not shown again. Key id <code>{}</code>, secret <code>{}</code>"),
            credential.key_id, secret))

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.path)

    @admin.action(description=_("Revoke the selected credentials"))
    def revoke(self, request, queryset):
        for credential in queryset.filter(revoked_at=None):
            credential_revoke(credential=credential, actor=request.user)
        messages.success(request, _("Revoked; hosts using these keys are refused within a second."))
