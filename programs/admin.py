from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from programs.models import Category, MiniProgram, QualificationDocument, Version
from programs.services import program_name_clean


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "needs_qualification", "service_type", "needs_verified_org", "active",
                    "position"]
    list_filter = ["needs_qualification", "service_type", "needs_verified_org", "active"]
    list_editable = ["active", "position"]
    search_fields = ["code", "name", "name_zh"]


class QualificationInline(admin.TabularInline):
    model = QualificationDocument
    extra = 0
    readonly_fields = ["category", "file", "original_name", "uploaded_by", "uploaded_at"]


class MiniProgramAdminForm(forms.ModelForm):
    """The admin builds the model and fields in (ModelAdmin.get_form); this adds the name rules."""

    def clean_name(self):
        """The portal's name rules here too: normalised, nothing invisible, no live look-alike."""
        try:
            return program_name_clean(self.cleaned_data["name"], exclude_pk=self.instance.pk)
        except ValidationError as exc:
            raise ValidationError(exc.messages)


@admin.register(MiniProgram)
class MiniProgramAdmin(admin.ModelAdmin):
    form = MiniProgramAdminForm
    list_display = ["name", "appid", "organisation", "category_list", "created_at", "deleted_at"]
    list_filter = ["categories", ("deleted_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "appid", "organisation__name", "organisation__slug"]
    list_select_related = ["organisation"]
    readonly_fields = ["appid", "created_at", "updated_at", "created_by"]
    raw_id_fields = ["organisation"]
    inlines = [QualificationInline]

    @admin.display(description="categories")
    def category_list(self, obj):
        return ", ".join(c.code for c in obj.categories.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    """Versions are changed only through their lifecycle; the admin shows them."""

    list_display = ["program", "version", "status", "dialect", "errors", "warnings", "risk_score", "upload_method",
                    "scan_attempts", "created_at"]
    list_filter = ["status", "dialect", "upload_method", "created_at"]
    search_fields = ["version", "program__name", "program__appid", "package_sha256"]
    list_select_related = ["program"]
    readonly_fields = [f.name for f in Version._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(admin.ModelAdmin):
    list_display = ["program", "category", "original_name", "uploaded_by", "uploaded_at"]
    list_filter = ["category"]
    search_fields = ["program__name", "program__appid", "original_name"]
    list_select_related = ["program", "category", "uploaded_by"]
