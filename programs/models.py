"""Mini-programs, their categories and qualification documents, and uploaded versions."""

import re

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from console.models import ApiKey, Organisation
from console.text import refuse_invisible_characters
from hosts.models import Dialect
from programs.names import name_key
from programs.packages import private_storage
from programs.scanning.personal_info import PERSONAL_INFO_KINDS


class Category(models.Model):
    """An admin-editable catalog entry a program files itself under."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_zh = models.CharField(_("Chinese name"), max_length=60, blank=True)
    needs_qualification = models.BooleanField(
        _("needs qualification"), default=False,
        help_text=_("Programs in this category must upload a qualification document (licence, permit)."),
    )
    service_type = models.BooleanField(
        _("service type"), default=False, help_text=_("Life services, public welfare … (some scenes allow only these)."),
    )
    needs_verified_org = models.BooleanField(_("needs a verified organisation"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "code"]

    def __str__(self):
        return self.display_name  # in the reader's language wherever it is printed (lists, the admin site)

    @property
    def display_name(self) -> str:
        """The name in the interface language (categories are catalog data, not gettext strings)."""
        from django.utils.translation import get_language

        return self.name_zh if self.name_zh and (get_language() or "").startswith("zh") else self.name


def logo_path(program, filename):
    return f"logos/{program.appid}/{filename}"


def qualification_path(document, filename):
    return f"qualifications/{document.program.appid}/{filename}"


def package_path(version, filename):
    return f"packages/{version.program.appid}/{version.package_sha256}.zip"


class MiniProgram(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="programs",
                                     verbose_name=_("organisation"))
    appid = models.CharField(_("AppID"), max_length=16, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=20)
    name_key = models.CharField(
        _("look-alike key"), max_length=255, editable=False, default="",
        help_text=_("The name's TR39 confusable skeleton, case-folded (programs.names.name_key): unique among live programs."),
    )
    slogan = models.CharField(_("slogan"), max_length=60, blank=True, validators=[refuse_invisible_characters])
    description = models.TextField(_("description"), max_length=2000, blank=True)
    categories = models.ManyToManyField(Category, related_name="programs", verbose_name=_("categories"))
    logo = models.ImageField(_("logo"), upload_to=logo_path, blank=True)
    logo_small = models.ImageField(_("small logo"), upload_to=logo_path, blank=True, editable=False)
    privacy_policy_url = models.URLField(_("privacy policy URL"), blank=True)
    request_domains = models.JSONField(_("request domains"), default=list, blank=True)
    upload_domains = models.JSONField(_("upload domains"), default=list, blank=True)
    download_domains = models.JSONField(_("download domains"), default=list, blank=True)
    socket_domains = models.JSONField(_("socket domains"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    trial_version = models.ForeignKey(
        "Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("trial version"),
        help_text=_("The development version testers open from the trial QR code."),
    )

    class Meta:
        verbose_name = _("mini program")
        verbose_name_plural = _("mini programs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), condition=models.Q(deleted_at=None), name="unique_live_program_name"
            ),
            # Look-alikes ("Сity Bikes" with a Cyrillic С beside "City Bikes") cannot both be live.
            models.UniqueConstraint(
                fields=["name_key"], condition=models.Q(deleted_at=None), name="unique_live_program_name_key"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.appid})"

    def save(self, *args, **kwargs):
        # Derived data, kept with the name whoever writes it (services, admin, fixtures).
        self.name_key = name_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    def domains(self) -> dict[str, list[str]]:
        return {
            "request": self.request_domains, "upload": self.upload_domains,
            "download": self.download_domains, "socket": self.socket_domains,
        }


def personal_info_label(kind: str) -> str:
    """A kind of personal information in the interface language (catalogue data, not gettext strings)."""
    from django.utils.translation import get_language

    entry = PERSONAL_INFO_KINDS.get(kind)
    if entry is None:
        return kind
    return entry.label_zh if (get_language() or "").startswith("zh") else entry.label


class PrivacyItem(models.Model):
    """One line of a program's privacy declaration (as WeChat's 用户隐私保护指引): what it uses and why.

    The scanner checks code against these; reviewers read them next to the scan report.
    """

    KIND_CHOICES = [(kind.code, kind.label) for kind in PERSONAL_INFO_KINDS.values()]

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="privacy_items")
    kind = models.CharField(_("personal information"), max_length=30, choices=KIND_CHOICES)
    purpose = models.CharField(
        _("purpose"), max_length=200, help_text=_("Why the program needs it, in the words users will read."))

    class Meta:
        verbose_name = _("privacy item")
        verbose_name_plural = _("privacy items")
        constraints = [models.UniqueConstraint(fields=["program", "kind"], name="unique_privacy_item_kind")]

    def __str__(self):
        return f"{self.kind}: {self.purpose}"

    @property
    def kind_label(self) -> str:
        return personal_info_label(self.kind)

    @property
    def position(self) -> int:
        return list(PERSONAL_INFO_KINDS).index(self.kind)


class QualificationDocument(models.Model):
    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="qualifications",
                                verbose_name=_("mini program"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category"))
    file = models.FileField(_("file"), upload_to=qualification_path, storage=private_storage)
    original_name = models.CharField(_("original file name"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")
        ordering = ["-uploaded_at"]

    def __str__(self):
        # No words of one language: labels like this one reach the admin site and the audit log in either.
        return f"{self.program.name} · {self.category} · {self.original_name}"


VERSION_RE = re.compile(r"^\d{1,6}(\.\d{1,6}){0,3}(-[0-9A-Za-z.-]{1,20})?\Z")


class Version(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        SCANNING = "scanning", _("Scanning")
        SCAN_FAILED = "scan_failed", _("Scan failed")
        READY = "ready", _("Ready (development version)")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PHASED = "phased", _("Phased release")
        RELEASED = "released", _("Released")
        SUPERSEDED = "superseded", _("Superseded")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    class UploadMethod(models.TextChoices):
        BROWSER = "browser", _("Browser")
        API = "api", _("API")
        CLI = "cli", _("CLI")

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="versions",
                                verbose_name=_("mini program"))
    version = models.CharField(_("version"), max_length=40)
    sort_key = models.JSONField(_("sort key"), default=list, editable=False,
                                help_text=_("Numeric parts, for ordering and comparison."))
    description = models.TextField(_("description"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED,
                              db_index=True)
    package = models.FileField(_("package"), upload_to=package_path, max_length=200, storage=private_storage)
    package_sha256 = models.CharField(_("package SHA-256"), max_length=64)
    package_size = models.PositiveBigIntegerField(_("package size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    upload_method = models.CharField(_("upload method"), max_length=10, choices=UploadMethod.choices,
                                     default=UploadMethod.BROWSER)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("API key"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # Scanning
    scan_progress = models.PositiveSmallIntegerField(_("scan progress (%)"), default=0)
    scan_stage = models.CharField(_("scan stage"), max_length=40, blank=True)
    scan_attempts = models.PositiveSmallIntegerField(_("scan attempts"), default=0)
    scan_queued_at = models.DateTimeField(_("scan queued at"), null=True, blank=True)
    scan_started_at = models.DateTimeField(_("scan started at"), null=True, blank=True)
    scan_finished_at = models.DateTimeField(_("scan finished at"), null=True, blank=True)
    scan_report = models.JSONField(_("scan report"), null=True, blank=True)
    dialect = models.CharField(_("dialect"), max_length=20, choices=Dialect.choices, blank=True)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    notices = models.PositiveIntegerField(_("notices"), default=0)
    risk_score = models.IntegerField(_("risk score"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    # Review
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submit_notes = models.TextField(_("notes for the reviewer"), max_length=2000, blank=True)
    test_account = models.CharField(_("test account"), max_length=200, blank=True)
    expedited = models.BooleanField(_("expedited review"), default=False)
    review_due_at = models.DateTimeField(_("review due at"), null=True, blank=True, db_index=True)
    awaiting_developer = models.BooleanField(
        _("awaiting the developer"), default=False,
        help_text=_("A reviewer asked for changes; the version waits for the developer's answer."),
    )
    approved_hosts = models.JSONField(_("approved hosts"), default=list, blank=True,
                                      help_text=_("Host codes the approval covers."))
    submitted_metadata = models.JSONField(
        _("details when submitted"), default=dict, blank=True,
        help_text=_("The program's categories and domains when this version was submitted."),
    )
    # Release
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    phased_percentage = models.PositiveSmallIntegerField(_("phased release %"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "version")
        verbose_name_plural = _("versions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="unique_version_per_program"),
            # SPEC §3: at most one version in review, approved-but-unreleased or phased at a time.
            models.UniqueConstraint(
                fields=["program"], condition=models.Q(status__in=["in_review", "approved", "phased"]),
                name="one_version_in_flight_per_program",
            ),
            models.UniqueConstraint(
                fields=["program"], condition=models.Q(status="released"), name="one_released_version_per_program"
            ),
            models.UniqueConstraint(fields=["program", "package_sha256"], name="unique_package_per_program"),
        ]
        indexes = [
            models.Index(fields=["status", "scan_started_at"]),
            models.Index(fields=["status", "review_due_at"]),
        ]

    def __str__(self):
        return f"{self.program.name} {self.version}"

    @property
    def scan_done(self) -> bool:
        return self.status not in (self.Status.UPLOADED, self.Status.SCANNING)


class TrialTester(models.Model):
    """Someone allowed to open the program's trial version (by QR code or link)."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="testers")
    email = models.EmailField(_("email address"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("trial tester")
        verbose_name_plural = _("trial testers")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["program", "email"], name="one_tester_entry_per_email")]

    def __str__(self):
        return f"{self.email} tests {self.program.name}"


class Withdrawal(models.Model):
    """A withdrawn submission; counted against the daily and monthly withdrawal limits."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="withdrawals")
    # Kept when a pruned version goes, so that pruning cannot reset the withdrawal limits.
    version = models.ForeignKey(Version, null=True, on_delete=models.SET_NULL, related_name="withdrawals")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.version} withdrawn {self.created_at:%Y-%m-%d}"
