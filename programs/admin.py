from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from console.words import list_words
from programs.models import Category, MiniProgram, QualificationDocument, Version
from programs.services import program_name_clean


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "needs_qualification", "service_type", "needs_verified_org", "active",
                    "position"]
    list_filter = ["needs_qualification", "service_type", "needs_verified_org", "active"]
    list_editable = ["active", "position"]
    search_fields = ["code", "name", "name_zh"]


class QualificationLinkMixin:
    @admin.display(description=_("file"))
    def file_link(self, document):
        """Private files have no URL of their own: link the members' download view."""
        if not document.pk:
            return "-"
        program = document.program
        url = reverse("qualification_download", args=[program.organisation.slug, program.appid, document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)


class QualificationInline(QualificationLinkMixin, admin.TabularInline):
    model = QualificationDocument
    extra = 0
    fields = ["category", "file_link", "original_name", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


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

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        return list_words(c.display_name for c in obj.categories.all())

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
    # The package is private (no URL of its own, the admin would fail to show it): its link is the members' download.
    exclude = ["package"]
    readonly_fields = [f.name if f.name != "package" else "package_link" for f in Version._meta.fields]

    @admin.display(description=_("package"))
    def package_link(self, obj):
        url = reverse("package_download", args=[obj.program.appid, obj.version])
        return format_html('<a href="{}">{}</a>', url, obj.package.name)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(QualificationLinkMixin, admin.ModelAdmin):
    exclude = ["file"]
    readonly_fields = ["file_link"]
    list_display = ["program", "category", "original_name", "uploaded_by", "uploaded_at"]
    list_filter = ["category"]
    search_fields = ["program__name", "program__appid", "original_name"]
    list_select_related = ["program", "category", "uploaded_by"]
