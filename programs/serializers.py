"""Input and output shapes of the programs API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from console.api_fields import ChoiceField, StrictInput
from console.openapi import UploadField
from programs.domains import DOMAIN_KINDS, MAX_DOMAINS_PER_KIND
from programs.models import Category, MiniProgram, PrivacyItem, Version
from programs.scanning.messages import localized_breakdown, localized_finding
from programs.selectors import live_releases
from programs.services import CATEGORIES_MAX, program_domains_clean, program_name_shape


class CategoryOutput(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "name_zh", "needs_qualification", "service_type", "needs_verified_org"]


class DomainsField(serializers.DictField):
    """`{"request": [...], …}`: each list as long as the domain rules allow (programs.domains)."""

    child = serializers.ListField(child=serializers.CharField(max_length=200), max_length=MAX_DOMAINS_PER_KIND)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = set(value) - set(DOMAIN_KINDS)
        if unknown:
            raise serializers.ValidationError(f"Unknown domain kinds: {', '.join(sorted(unknown))}.")
        return value


class CategoryCodesField(serializers.ListField):
    """Category codes, at most as many as a program may have; resolved to active categories."""

    child = serializers.SlugField(max_length=Category._meta.get_field("code").max_length)

    def __init__(self, **kwargs):
        super().__init__(max_length=CATEGORIES_MAX, **kwargs)

    def to_internal_value(self, data):
        codes = list(dict.fromkeys(super().to_internal_value(data)))
        found = {c.code: c for c in Category.objects.filter(active=True, code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise serializers.ValidationError(f"Unknown categories: {', '.join(unknown)}.")
        return [found[code] for code in codes]


class ProgramInput(StrictInput, serializers.ModelSerializer):
    """The text fields take their limits from the model (MiniProgram), so the API and the database agree."""

    organisation = serializers.SlugField(
        required=False, help_text="Slug of the organisation; defaults to the API key's (or your only) organisation."
    )
    categories = CategoryCodesField(help_text=f"1 to {CATEGORIES_MAX} category codes (GET /api/v1/categories/).")
    domains = DomainsField(required=False, help_text="The server domains per kind (request, socket, upload, download), "
                                                     "e.g. {\"request\": [\"https://api.example.com\"]}. In a PATCH, the "
                                                     "kinds sent replace those kinds' lists; kinds not sent are kept.")

    class Meta:
        model = MiniProgram
        fields = ["organisation", "name", "slogan", "description", "categories", "privacy_policy_url", "domains"]
        extra_kwargs = {"name": {"required": True}}

    def validate_name(self, value: str) -> str:
        """The name's own shape, so that a short name is refused with the body's other errors; its clash with
        other programs' names is the service's to find."""
        try:
            return program_name_shape(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["name"]) from exc

    def validate_domains(self, value: dict) -> dict:
        """The domains' rules too, for the same reason; the service cleans them again (and merges a PATCH's)."""
        try:
            program_domains_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.api_detail["domains"]) from exc
        return value


class ProgramPatchInput(ProgramInput):
    organisation = None
    categories = CategoryCodesField(required=False, help_text=f"1 to {CATEGORIES_MAX} category codes.")

    class Meta(ProgramInput.Meta):
        fields = ["name", "slogan", "description", "categories", "privacy_policy_url", "domains"]
        extra_kwargs = {"name": {"required": False}}


class PhasedReleaseOutput(serializers.Serializer):
    version = serializers.CharField()
    percentage = serializers.IntegerField(help_text="1–99: the share of users who get this version.")


class ProgramOutput(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    domains = serializers.SerializerMethodField()
    logo = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api_program_detail", lookup_field="appid")
    live_version = serializers.SerializerMethodField(
        help_text="The version everyone gets (released); null when nothing is released.")
    phased_release = serializers.SerializerMethodField(
        help_text="The version being released to a share of users, with that percentage; null when none is. "
                  "The other users get `live_version`.")
    trial_version = serializers.SerializerMethodField(
        help_text="The version the program's testers open (`POST …/versions/{version}/trial/` sets it); null when "
                  "none is set.")

    class Meta:
        model = MiniProgram
        fields = ["appid", "url", "organisation", "name", "slogan", "description", "categories", "logo",
                  "privacy_policy_url", "domains", "live_version", "phased_release", "trial_version", "created_at",
                  "updated_at"]

    def get_trial_version(self, obj) -> str | None:
        return obj.trial_version.version if obj.trial_version_id else None

    def get_domains(self, obj) -> dict[str, list[str]]:
        return obj.domains()

    def get_logo(self, obj) -> str | None:
        return self.context["request"].build_absolute_uri(obj.logo.url) if obj.logo else None

    def get_live_version(self, obj) -> str | None:
        released, _ = live_releases(obj)
        return released.version if released else None

    @extend_schema_field(PhasedReleaseOutput(allow_null=True))
    def get_phased_release(self, obj) -> dict | None:
        _, phased = live_releases(obj)
        return {"version": phased.version, "percentage": phased.phased_percentage} if phased else None


class VersionInput(StrictInput, serializers.Serializer):
    package = UploadField(help_text="The package, a .zip archive.")
    version = serializers.CharField(max_length=Version._meta.get_field("version").max_length)
    description = serializers.CharField(max_length=Version._meta.get_field("description").max_length, required=False,
                                        allow_blank=True, default="")
    method = ChoiceField(
        choices=[Version.UploadMethod.API, Version.UploadMethod.CLI], default=Version.UploadMethod.API,
        help_text="How the upload was made: `api` (default) or `cli`.",
    )


class ScanOutput(serializers.Serializer):
    progress = serializers.IntegerField(help_text="0–100.")
    stage = serializers.CharField(help_text="What the scanner is doing (`queued`, `archive`, `code` …); \"\" before.")
    attempts = serializers.IntegerField(help_text="Tries so far (a worker that died is tried again).")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    done = serializers.BooleanField(help_text="The report is final: the status is `ready` or `scan_failed`.")


class FindingOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, e.g. `privacy.undeclared` (docs/finding-codes.md).")
    severity = serializers.ChoiceField(choices=["error", "warning", "notice"],
                                       help_text="Any `error` fails the scan (status `scan_failed`).")
    message = serializers.CharField(help_text="In the caller's language (Accept-Language).")
    file = serializers.CharField(allow_null=True, help_text="Path in the package; null for the package as a whole.")
    line = serializers.IntegerField(allow_null=True, help_text="1-based; null when the finding has no place.")
    column = serializers.IntegerField(allow_null=True, help_text="1-based character column; null with `line`.")
    params = serializers.DictField(help_text="What the message is made of (the API, the domain, the size …), per "
                                             "code; {} when nothing.")


class SizesOutput(serializers.Serializer):
    main = serializers.IntegerField(allow_null=True, help_text="Bytes, zipped, of the main package.")
    subpackages = serializers.DictField(child=serializers.IntegerField(), help_text="Root → bytes.")
    full = serializers.IntegerField(allow_null=True, help_text="Bytes of the whole package.")
    limits = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="`main`, `subpackage`, `full`: the host's limits in bytes.")


class RiskItemOutput(serializers.Serializer):
    code = serializers.CharField()
    weight = serializers.IntegerField()
    reason = serializers.CharField(help_text="In the caller's language.")
    params = serializers.DictField()


class RiskOutput(serializers.Serializer):
    score = serializers.IntegerField(help_text="The sum of the breakdown's weights; reviewers' queue sorts by it.")
    breakdown = RiskItemOutput(many=True)


class ReportOutput(serializers.Serializer):
    dialect = serializers.CharField(allow_null=True, help_text="`alipay`, `wechat`, `douyin`, `baidu`; null when "
                                                               "the package is not a mini-program.")
    errors = serializers.IntegerField()
    warnings = serializers.IntegerField()
    notices = serializers.IntegerField()
    findings = FindingOutput(many=True)
    sizes = SizesOutput(allow_null=True)
    risk = RiskOutput()
    permissions = serializers.ListField(child=serializers.CharField(), allow_null=True)
    domains = serializers.ListField(child=serializers.CharField(), allow_null=True,
                                    help_text="The servers the code talks to.")
    duration_ms = serializers.IntegerField(allow_null=True)
    personal_info = serializers.ListField(child=serializers.CharField(), allow_null=True,
                                          help_text="Kinds of personal information the code uses.")


class VersionOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    package_url = serializers.SerializerMethodField(help_text="Download the package (the caller's key or session).")
    uploaded_by = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True,
        help_text="Null once the uploader's account has been deleted.")
    scan = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()
    release_percentage = serializers.SerializerMethodField(
        help_text="While the status is `phased`: the percentage of users who get this version (1–99); null otherwise.")
    awaiting_developer = serializers.BooleanField(
        read_only=True, help_text="In review, and a reviewer asked for changes: the review waits for the developer's "
                                  "answer (`GET …/messages/` has the request, `POST …/messages/` answers).")
    is_trial = serializers.SerializerMethodField(help_text="Whether this is the program's trial version.")
    approved_hosts = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="Codes of the host platforms the approval covers (e.g. `alipay`, `weibo`); an empty list: every "
                  "host (also while the version is not approved yet).")

    class Meta:
        model = Version
        fields = ["version", "url", "status", "awaiting_developer", "approved_hosts", "release_percentage", "is_trial",
                  "description",
                  "package_sha256", "package_size", "package_url", "uploaded_by", "upload_method", "created_at",
                  "status_changed_at", "scan", "report"]

    def get_is_trial(self, obj) -> bool:
        return obj.program.trial_version_id == obj.pk

    def get_release_percentage(self, obj) -> int | None:
        return obj.phased_percentage if obj.status == Version.Status.PHASED else None

    def get_url(self, obj) -> str:
        from django.urls import reverse

        path = reverse("api_version_detail", args=[obj.program.appid, obj.version])
        return self.context["request"].build_absolute_uri(path)

    def get_package_url(self, obj) -> str:
        from django.urls import reverse

        path = reverse("api_package", args=[obj.program.appid, obj.version])
        return self.context["request"].build_absolute_uri(path)

    @extend_schema_field(ScanOutput)
    def get_scan(self, obj) -> dict:
        return {"progress": obj.scan_progress, "stage": obj.scan_stage, "attempts": obj.scan_attempts,
                "started_at": _moment(obj.scan_started_at), "finished_at": _moment(obj.scan_finished_at),
                "done": obj.scan_done}

    @extend_schema_field(ReportOutput(allow_null=True))
    def get_report(self, obj) -> dict | None:
        """errors / warnings / notices counts, findings[], sizes, risk, dialect — once the scan is done."""
        report = obj.scan_report
        if not report:
            return None
        keys = ("dialect", "permissions", "domains", "duration_ms", "personal_info")
        data = {k: report.get(k) for k in keys}
        data.update({k: report.get(k) or 0 for k in ("errors", "warnings", "notices")})
        # Messages and risk reasons in the caller's language (Accept-Language), from each code and its params.
        # Every key the schema names is there, whatever a stored report left out (`params` when empty, older
        # reports' fields).
        language = get_language()
        data["findings"] = [_finding_output(localized_finding(f, language)) for f in report.get("findings") or []]
        risk = report.get("risk") or {}
        data["risk"] = {"score": risk.get("score") or 0,
                        "breakdown": [{"params": {}, **localized_breakdown(b, language)}
                                      for b in risk.get("breakdown") or []]}
        sizes = report.get("sizes")
        data["sizes"] = {"main": sizes.get("main"), "subpackages": sizes.get("subpackages") or {},
                         "full": sizes.get("full"), "limits": sizes.get("limits") or {}} \
            if isinstance(sizes, dict) else None
        return data


def _finding_output(finding: dict) -> dict:
    return {"code": finding.get("code"), "severity": finding.get("severity"), "message": finding.get("message"),
            "file": finding.get("file"), "line": finding.get("line"), "column": finding.get("column"),
            "params": finding.get("params") or {}}


class DuplicateOutput(serializers.Serializer):
    requested_version = serializers.CharField(help_text="The version string this upload asked for.")
    message = serializers.CharField(help_text="Which version the package is, and that no other was created.")


class VersionUploadOutput(VersionOutput):
    """The version an upload stored, or, for a package uploaded before, that earlier version."""

    duplicate = serializers.SerializerMethodField(
        help_text="Null when this upload stored a new version; for a package uploaded before, what was asked for "
                  "(`version` is the existing version's, which may differ).")

    class Meta(VersionOutput.Meta):
        fields = [*VersionOutput.Meta.fields, "duplicate"]

    @extend_schema_field(DuplicateOutput(allow_null=True))
    def get_duplicate(self, obj) -> dict | None:
        result = self.context["upload"]
        if result.created:
            return None
        return {"requested_version": result.requested_version, "message": result.duplicate_message()}


class PrivacyItemSerializer(StrictInput, serializers.ModelSerializer):
    """One line of the privacy declaration; the limits come from the model."""

    class Meta:
        model = PrivacyItem
        fields = ["kind", "purpose"]
        validators = []  # the service replaces the whole declaration; uniqueness is checked on the list


class PrivacyDeclarationSerializer(StrictInput, serializers.Serializer):
    items = PrivacyItemSerializer(many=True, help_text="Every kind of personal information the program uses, with why.")

    def validate_items(self, items):
        kinds = [item["kind"] for item in items]
        if len(kinds) != len(set(kinds)):
            raise serializers.ValidationError("Each kind may be listed once.")
        return items


_MOMENT = serializers.DateTimeField()


def _moment(value):
    """A moment written as the serializers' DateTimeFields write theirs (the platform's offset, not UTC's Z)."""
    return None if value is None else _MOMENT.to_representation(value)
