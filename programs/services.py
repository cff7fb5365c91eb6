"""Writes for mini-programs and their versions (upload; scanning lives in programs/scans.py)."""

import os
import secrets
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from console.exceptions import LimitReached, WrongState
from console.models import ApiKey, Organisation, User
from console.services import audit_record
from programs.domains import DOMAIN_KINDS, DomainListError, normalise_domain_list
from programs.images import process_logo
from programs.invalidation import programs_changed
from programs.models import VERSION_RE, Category, MiniProgram, PrivacyItem, QualificationDocument, Version
from programs.names import name_key, normalise_name
from programs.notifications import scan_failure_replaced

NAME_MIN, NAME_MAX = 3, MiniProgram._meta.get_field("name").max_length
CATEGORIES_MIN, CATEGORIES_MAX = 1, 4
EDITABLE_FIELDS = ("name", "slogan", "description", "privacy_policy_url")


# ---------------------------------------------------------------- programs


def _new_appid() -> str:
    """16 digits: the year and 12 random digits, like the AppIDs developers know from Alipay."""
    return f"{timezone.now().year}{secrets.randbelow(10**12):012d}"


def program_name_shape(name: str) -> str:
    """NFKC, no invisible or control characters, 3–20 characters: what a name is on its own, before it is
    compared with the other programs' (the API's input checks this much beside its other fields)."""
    name = normalise_name(name)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise ValidationError({"name": _("The name must be %(min)d–%(max)d characters.") % {
            "min": NAME_MIN, "max": NAME_MAX}})
    return name


def program_name_clean(name: str, *, exclude_pk: int | None = None) -> str:
    """`program_name_shape`, and no live look-alike (programs.names)."""
    name = program_name_shape(name)
    live = MiniProgram.objects.filter(deleted_at=None).exclude(pk=exclude_pk)
    if live.filter(name__iexact=name).exists():
        raise ValidationError({"name": _name_taken(name)})
    clash = live.filter(name_key=name_key(name)).only("name").first()
    if clash is not None:
        raise ValidationError({"name": _("“%(name)s” looks the same as “%(other)s”, another live mini-program; "
                                         "choose a name that reads differently.") % {"name": name, "other": clash.name}})
    return name


def _name_taken(name: str) -> str:
    return _("Another live mini-program is already called “%(name)s”.") % {"name": name}


def _clean_categories(categories: list[Category], org: Organisation) -> list[Category]:
    categories = list(dict.fromkeys(categories))
    if not CATEGORIES_MIN <= len(categories) <= CATEGORIES_MAX:
        raise ValidationError({"categories": _("Choose between 1 and 4 categories.")})
    inactive = [c.name for c in categories if not c.active]
    if inactive:
        raise ValidationError({"categories": _("Not available: %(names)s.") % {"names": ", ".join(inactive)}})
    gated = [c.name for c in categories if c.needs_verified_org]
    if gated and not org.verified:
        raise ValidationError({"categories": _("Only verified organisations may use: %(names)s.") % {
            "names": ", ".join(gated)}})
    return categories


def program_domains_clean(domains: dict[str, list[str]]) -> dict[str, list[str]]:
    """The model's `<kind>_domains` fields from `{kind: [domain, …]}`, each list normalised, or a refusal naming
    each bad entry (as the edit page names its fields, and as the API names the request's entries)."""
    cleaned, errors, api_errors = {}, {}, {}
    for kind in DOMAIN_KINDS:
        try:
            cleaned[f"{kind}_domains"] = normalise_domain_list(kind, domains.get(kind) or [])
        except DomainListError as exc:
            errors[f"{kind}_domains"] = exc.messages
            by_index = exc.by_index
            api_errors[kind] = by_index[None] if None in by_index else {str(i): m for i, m in by_index.items()}
    if errors:
        refused = ValidationError(errors)  # named as the edit page's fields
        # The API names an entry by where it was in the request: domains.request.2 (console.api_errors).
        refused.api_detail = {"domains": api_errors}
        raise refused
    return cleaned


class _Refusals:
    """Every field's refusal at once, so that a form or a CI job mends them in one round: the name's, the
    domains', the model's limits' and the categories' came one at a time."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}  # named as the pages name them
        self.api: dict = {}  # named as the request named them (console.api_errors)

    def check(self, work, *args, **kwargs):
        """`work`'s result, or None after noting its refusal."""
        try:
            return work(*args, **kwargs)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            fields = {name: [m for error in errors for m in error.messages] for name, errors in exc.error_dict.items()}
            self.fields.update(fields)
            self.api.update(getattr(exc, "api_detail", None) or fields)
            return None

    def refused(self, name: str) -> bool:
        return name in self.fields

    def raise_any(self) -> None:
        if self.fields:
            refused = ValidationError(self.fields)
            refused.api_detail = self.api
            raise refused


def _check_model_limits(program: MiniProgram, names) -> None:
    """The model's own limits (lengths, URL shape) on the fields being written, before the database sees them."""
    exclude = [f.name for f in MiniProgram._meta.fields if f.name not in names]
    program.clean_fields(exclude=exclude)


def _snapshot(program: MiniProgram) -> dict:
    return {
        **{f: getattr(program, f) for f in EDITABLE_FIELDS},
        "categories": sorted(program.categories.values_list("code", flat=True)) if program.pk else [],
        **{f"{k}_domains": getattr(program, f"{k}_domains") for k in DOMAIN_KINDS},
    }


@transaction.atomic
def program_create(
    *, org: Organisation, actor: User, name: str, categories: list[Category], slogan: str = "",
    description: str = "", privacy_policy_url: str = "", domains: dict[str, list[str]] | None = None,
    api_key: ApiKey | None = None,
) -> MiniProgram:
    refusals = _Refusals()
    cleaned_name = refusals.check(program_name_clean, name)
    domain_fields = refusals.check(program_domains_clean, domains or {}) or {}
    program = MiniProgram(
        organisation=org, name=cleaned_name or "", slogan=slogan.strip(), description=description.strip(),
        privacy_policy_url=privacy_policy_url.strip(), created_by=actor, **domain_fields,
    )
    refusals.check(_check_model_limits, program, [f for f in EDITABLE_FIELDS if not refusals.refused(f)])
    categories = refusals.check(_clean_categories, categories, org)
    refusals.raise_any()
    for _attempt in range(5):
        program.appid = _new_appid()
        if not MiniProgram.objects.filter(appid=program.appid).exists():
            break
    try:
        with transaction.atomic():
            program.save()
    except IntegrityError:
        # Two programs named alike at the same moment: the database's constraint decides.
        raise ValidationError({"name": _name_taken(program.name)})
    program.categories.set(categories)
    audit_record(
        action="program.create", target=program, actor=actor, api_key=api_key, organisation=org,
        after=_snapshot(program),
    )
    return program


@transaction.atomic
def program_update(
    *, program: MiniProgram, actor: User, api_key: ApiKey | None = None, categories: list[Category] | None = None,
    domains: dict[str, list[str]] | None = None, **fields,
) -> MiniProgram:
    """Change any of name, slogan, description, privacy_policy_url, categories, domains (others are refused)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in unknown})
    before = _snapshot(program)
    refusals = _Refusals()
    if "name" in fields:
        fields["name"] = refusals.check(program_name_clean, fields["name"], exclude_pk=program.pk) or program.name
    for name, value in fields.items():
        setattr(program, name, value.strip() if isinstance(value, str) else value)
    refusals.check(_check_model_limits, program, [f for f in fields if not refusals.refused(f)])
    if domains is not None:
        for name, value in (refusals.check(program_domains_clean, {**program.domains(), **domains}) or {}).items():
            setattr(program, name, value)
    if categories is not None:
        categories = refusals.check(_clean_categories, categories, program.organisation)
    refusals.raise_any()
    if categories is not None:
        _check_categories_may_change(program, categories)
        program.categories.set(categories)
    try:
        with transaction.atomic():
            program.save()
    except IntegrityError:  # renamed at the same moment as another program: the constraint decides
        raise ValidationError({"name": _name_taken(program.name)})
    after = _snapshot(program)
    changed = {k for k in after if after[k] != before[k]}
    if "categories" in changed:
        programs_changed()  # scenes admit programs by category: hosts' caches read it again
    if changed:
        audit_record(
            action="program.update", target=program, actor=actor, api_key=api_key, organisation=program.organisation,
            before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
        )
    return program


def _check_categories_may_change(program: MiniProgram, categories: list[Category]) -> None:
    """Not while a version is in review: its reviewer judges the categories it was submitted with, and a category
    added then (one that needs a licence, say) went live unreviewed, past the submission's check of documents."""
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()  # as a submission does
    same = {c.pk for c in categories} == set(program.categories.values_list("pk", flat=True))
    if not same and program.versions.filter(status=Version.Status.IN_REVIEW).exists():
        raise WrongState(_("A version of this program is in review with its categories as they are: change them "
                           "after the decision, or withdraw the version first."))


@transaction.atomic
def program_set_privacy_declaration(
    *, program: MiniProgram, actor: User, items: dict[str, str], api_key: ApiKey | None = None,
) -> dict[str, str]:
    """Replace the program's privacy declaration (kind -> purpose); kinds left out are no longer declared."""
    cleaned = _clean_privacy_items(items)
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()  # one writer at a time per program
    before = {item.kind: item.purpose for item in program.privacy_items.all()}
    if cleaned == before:
        return cleaned
    program.privacy_items.exclude(kind__in=cleaned).delete()
    for kind, purpose in cleaned.items():
        PrivacyItem.objects.update_or_create(program=program, kind=kind, defaults={"purpose": purpose})
    audit_record(
        action="program.privacy_declaration", target=program, actor=actor, api_key=api_key,
        organisation=program.organisation, before=before, after=cleaned,
    )
    return cleaned


def _clean_privacy_items(items: dict[str, str]) -> dict[str, str]:
    kinds = dict(PrivacyItem.KIND_CHOICES)
    limit = PrivacyItem._meta.get_field("purpose").max_length
    cleaned, errors = {}, {}
    for kind, purpose in items.items():
        purpose = (purpose or "").strip()
        if kind not in kinds:
            errors[kind] = [_("Unknown kind of personal information.")]
        elif not purpose:
            errors[kind] = [_("Say why the program needs it.")]
        elif len(purpose) > limit:
            errors[kind] = [_("At most %(limit)d characters.") % {"limit": limit}]
        else:
            cleaned[kind] = purpose
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def program_set_logo(*, program: MiniProgram, actor: User, data: bytes, api_key=None) -> MiniProgram:
    (large, large_ext), (small, small_ext) = process_logo(data)
    replaced = [(field.storage, field.name) for field in (program.logo, program.logo_small) if field]
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    program.logo.save(f"logo-{stamp}.{large_ext}", ContentFile(large), save=False)
    program.logo_small.save(f"logo-{stamp}-64.{small_ext}", ContentFile(small), save=False)
    program.save(update_fields=["logo", "logo_small", "updated_at"])
    # Logos are public files at guessable names: a replaced one stayed served, 36 files after 17 changes.
    kept = {program.logo.name, program.logo_small.name}
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in replaced if name not in kept])
    audit_record(
        action="program.logo", target=program, actor=actor, api_key=api_key, organisation=program.organisation,
        after={"logo": program.logo.name},
    )
    return program


QUALIFICATION_MAX_BYTES = 10 * 1024 * 1024
# A category needs one document; a few more for renewals and second pages. Each is kept on disk for reviewers.
QUALIFICATIONS_PER_PROGRAM = 20
QUALIFICATION_TYPES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


def _qualification_extension(head: bytes) -> str:
    for magic, ext in QUALIFICATION_TYPES.items():
        if head.startswith(magic):
            return ext
    raise ValidationError({"file": _("Upload the document as PDF, PNG or JPEG.")})


@transaction.atomic
def qualification_add(
    *, program: MiniProgram, actor: User, category: Category, upload, api_key=None
) -> QualificationDocument:
    if not category.needs_qualification:
        raise ValidationError({"category": _("“%(name)s” needs no qualification document.") % {"name": category.display_name}})
    if upload.size > QUALIFICATION_MAX_BYTES:
        raise ValidationError({"file": _("The document is larger than 10 MB.")})
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()  # one count at a time per program
    if program.qualifications.count() >= QUALIFICATIONS_PER_PROGRAM:
        raise LimitReached(_("A program keeps at most %(n)d qualification documents; delete one it no longer "
                             "needs first.") % {"n": QUALIFICATIONS_PER_PROGRAM})
    ext = _qualification_extension(upload.read(8))
    upload.seek(0)
    document = QualificationDocument(
        program=program, category=category, uploaded_by=actor, original_name=os.path.basename(upload.name)[:200]
    )
    document.file.save(f"{category.code}-{secrets.token_hex(6)}.{ext}", upload, save=False)
    document.save()
    audit_record(
        action="program.qualification_add", target=program, actor=actor, api_key=api_key,
        organisation=program.organisation,
        after={"category": category.code, "document": document.original_name},
    )
    return document


@transaction.atomic
def qualification_remove(*, document: QualificationDocument, actor: User, api_key=None) -> None:
    """Deletes a document and its file; not while a version is in review, whose reviewer may be reading it."""
    program = document.program
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()
    if program.versions.filter(status=Version.Status.IN_REVIEW).exists():
        raise WrongState(_("A version of this program is in review, and its reviewer may need this document: "
                           "delete it after the decision, or withdraw the version first."))
    audit_record(action="program.qualification_remove", target=program, actor=actor, api_key=api_key,
                 organisation=program.organisation,
                 before={"category": document.category.code, "document": document.original_name})
    name, storage = document.file.name, document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def missing_qualifications(program: MiniProgram) -> list[Category]:
    have = set(program.qualifications.values_list("category_id", flat=True))
    return [c for c in program.categories.all() if c.needs_qualification and c.pk not in have]


# ---------------------------------------------------------------- versions


def version_sort_key(version: str) -> list:
    """A JSON-storable key ordering versions like semver: `1.2` = `1.2.0`, `1.2.3-beta.2` < `1.2.3`.

    Pre-release identifiers become [0, number] or [1, text], so numbers sort before
    words and a number is never compared with a word.
    """
    core, _sep, pre = version.partition("-")
    numbers = [int(p) for p in core.split(".")]
    key: list = numbers + [0] * (4 - len(numbers))
    if not pre:
        return [*key, 1]
    identifiers = [[0, int(p)] if p.isdigit() else [1, p] for p in pre.split(".")]
    return [*key, 0, *identifiers]


def _check_is_a_zip(package) -> None:
    """Refuse at once what is no zip archive at all (a .txt, a .rar, half a download): through the API it was
    a version, numbered and counted, whose scan failed with `archive.not_zip` (the page checked only the
    file name, in the browser). Reads the end-of-archive record only; a zip that is broken or hostile inside
    still goes to the scanner, which says what is wrong with it."""
    package.seek(0)
    is_zip = zipfile.is_zipfile(package)
    package.seek(0)
    if not is_zip:
        raise ValidationError({"package": _("This file is not a zip archive (or it was cut short): upload the "
                                             ".zip package your mini-program's IDE builds.")})


def _check_version_format(version: str) -> tuple[str, list]:
    version = version.strip()
    if not VERSION_RE.match(version):
        raise ValidationError({"version": _("Use a version like 1.2.3 (dotted numbers, optional -suffix).")})
    return version, version_sort_key(version)


def _check_version_order(program: MiniProgram, version: str, key: list) -> None:
    previous = program.versions.exclude(status=Version.Status.SCAN_FAILED).only("version", "sort_key")
    highest = max(previous, key=lambda v: v.sort_key, default=None)
    if highest is not None and key <= highest.sort_key:
        raise ValidationError({"version": _("The version must be higher than %(v)s.") % {"v": highest.version}})


@dataclass
class UploadResult:
    version: Version
    created: bool
    requested_version: str = ""  # the version string the upload asked for (checked, trimmed)

    def duplicate_message(self) -> str:
        """For an identical package uploaded before: which version it is, and that no other was made."""
        existing = self.version.version
        if self.requested_version and self.requested_version != existing:
            message = _("This exact package was uploaded before, as version %(v)s; %(requested)s was not created.") % {
                "v": existing, "requested": self.requested_version}
        else:
            message = _("This exact package was uploaded before, as version %(v)s.") % {"v": existing}
        if self.version.status == Version.Status.SCAN_FAILED:
            advice = _("Its scan failed: fix the package (see that version's report) and upload it again, or, "
                       "if the errors came from the program's domains or privacy declaration and you changed them, "
                       "scan that version again.")
            # English puts a space between two sentences, Chinese (after 。) does not: the join is translated.
            message = pgettext("two sentences in a row", "%(first)s %(second)s") % {"first": message, "second": advice}
        return message


class _AlreadyUploaded(Exception):
    def __init__(self, version: Version):
        self.version = version


def version_upload(
    *, program: MiniProgram, actor: User, version: str, description: str, package, method: str,
    api_key: ApiKey | None = None,
) -> UploadResult:
    """Store an uploaded package as a new version and queue its scan.

    `package` is a HashedUploadedFile (its sha256 computed while it streamed in).
    An identical package already uploaded for this program is answered with that
    version instead of a duplicate, also when both uploads arrive at the same moment:
    the file goes to storage first, outside any transaction; then one short transaction
    locks the program row (the lock order of every lifecycle action), looks for the
    package again, checks the version order and inserts. The unique constraints on
    (program, package_sha256) and (program, version) stay the backstop.
    """
    # The request is checked before it is compared with earlier uploads: a malformed version string is
    # refused even when the package is one uploaded before.
    version, key = _check_version_format(version)
    _check_is_a_zip(package)
    existing = program.versions.filter(package_sha256=package.sha256).first()
    if existing:
        return UploadResult(existing, created=False, requested_version=version)
    obj = Version(
        program=program, version=version, sort_key=key, description=description.strip(),
        package_sha256=package.sha256, package_size=package.size, uploaded_by=actor, upload_method=method,
        api_key=api_key, scan_queued_at=timezone.now(),
    )
    package.seek(0)
    obj.package.save("package.zip", File(package), save=False)
    try:
        with transaction.atomic():
            return UploadResult(_insert_version(obj, actor, api_key), created=True)
    except _AlreadyUploaded as duplicate:
        _discard_file(obj, keep=duplicate.version.package.name)
        return UploadResult(duplicate.version, created=False, requested_version=version)
    except IntegrityError:
        _discard_file(obj)
        existing = program.versions.filter(package_sha256=package.sha256).first()
        if existing:  # the same package raced in through another request
            return UploadResult(existing, created=False, requested_version=version)
        raise ValidationError({"version": _("Version %(v)s already exists.") % {"v": version}})
    except BaseException:
        _discard_file(obj)
        raise


def _discard_file(obj: Version, keep: str = "") -> None:
    """Delete a stored package no version row refers to (a refused or duplicate upload)."""
    if obj.package.name and obj.package.name != keep:
        obj.package.storage.delete(obj.package.name)


def _replace_failed(program: MiniProgram, version: str) -> None:
    """A failed scan does not burn its version string: the new upload replaces it, and the failure's
    notifications say so (their link will show the new package)."""
    failed = program.versions.filter(version=version, status=Version.Status.SCAN_FAILED).first()
    if failed:
        scan_failure_replaced(failed)
        failed.delete()


def _insert_version(obj: Version, actor, api_key) -> Version:
    program = obj.program
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()
    existing = program.versions.filter(package_sha256=obj.package_sha256).first()
    if existing:
        raise _AlreadyUploaded(existing)
    _check_version_order(program, obj.version, obj.sort_key)
    _replace_failed(program, obj.version)
    obj.save()
    audit_record(
        action="version.upload", target=obj, actor=actor, api_key=api_key, organisation=program.organisation,
        after={"version": obj.version, "sha256": obj.package_sha256, "size": obj.package_size,
               "method": obj.upload_method},
    )
    from programs.tasks import scan_version

    scan_version.delay_on_commit(obj.pk)
    return obj
