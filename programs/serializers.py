"""Input and output shapes of the programs API."""

from rest_framework import serializers

from console.fields import SlugLookupField
from programs.domains import DOMAIN_KINDS
from programs.models import Category, MiniProgram, Version


class CategoryOutput(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "name_zh", "needs_qualification", "service_type", "needs_verified_org"]


class DomainsField(serializers.DictField):
    child = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = set(value) - set(DOMAIN_KINDS)
        if unknown:
            raise serializers.ValidationError(f"Unknown domain kinds: {', '.join(sorted(unknown))}.")
        return value


class ProgramInput(serializers.Serializer):
    organisation = serializers.SlugField(
        required=False, help_text="Slug of the organisation; defaults to the API key's (or your only) organisation."
    )
    name = serializers.CharField(max_length=60)
    slogan = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    categories = SlugLookupField(slug_field="code", queryset=Category.objects.filter(active=True), many=True)
    privacy_policy_url = serializers.URLField(required=False, allow_blank=True, default="")
    domains = DomainsField(required=False, help_text="e.g. {\"request\": [\"https://api.example.com\"]}")


class ProgramPatchInput(ProgramInput):
    organisation = None
    name = serializers.CharField(max_length=60, required=False)
    categories = SlugLookupField(
        slug_field="code", queryset=Category.objects.filter(active=True), many=True, required=False
    )
    slogan = serializers.CharField(max_length=60, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    privacy_policy_url = serializers.URLField(required=False, allow_blank=True)


class ProgramOutput(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    domains = serializers.SerializerMethodField()
    logo = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api_program_detail", lookup_field="appid")

    class Meta:
        model = MiniProgram
        fields = ["appid", "url", "organisation", "name", "slogan", "description", "categories", "logo",
                  "privacy_policy_url", "domains", "created_at", "updated_at"]

    def get_domains(self, obj) -> dict[str, list[str]]:
        return obj.domains()

    def get_logo(self, obj) -> str | None:
        return self.context["request"].build_absolute_uri(obj.logo.url) if obj.logo else None


class VersionInput(serializers.Serializer):
    package = serializers.FileField(help_text="The package, a .zip archive.")
    version = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    method = serializers.ChoiceField(
        choices=[Version.UploadMethod.API, Version.UploadMethod.CLI], default=Version.UploadMethod.API,
        help_text="How the upload was made: `api` (default) or `cli`.",
    )


class VersionOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    uploaded_by = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True,
        help_text="Null once the uploader's account has been deleted.")
    scan = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = ["version", "url", "status", "description", "package_sha256", "package_size", "uploaded_by",
                  "upload_method", "created_at", "status_changed_at", "scan", "report"]

    def get_url(self, obj) -> str:
        from django.urls import reverse

        path = reverse("api_version_detail", args=[obj.program.appid, obj.version])
        return self.context["request"].build_absolute_uri(path)

    def get_scan(self, obj) -> dict:
        return {"progress": obj.scan_progress, "stage": obj.scan_stage, "attempts": obj.scan_attempts,
                "started_at": obj.scan_started_at, "finished_at": obj.scan_finished_at, "done": obj.scan_done}

    def get_report(self, obj) -> dict | None:
        """errors / warnings / notices counts, findings[], sizes, risk, dialect — once the scan is done."""
        report = obj.scan_report
        if not report:
            return None
        keys = ("dialect", "errors", "warnings", "notices", "findings", "sizes", "risk", "permissions", "domains",
                "duration_ms")
        return {k: report.get(k) for k in keys}
