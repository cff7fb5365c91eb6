"""Reads for programs and versions, with the access helpers every page and API view uses."""

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from console.exceptions import NamedNotFound
from console.models import ApiKey, Membership
from hosts.memo import TtlMemo
from programs.models import Category, MiniProgram, PrivacyItem, Version


def _memberships(user, api_key: ApiKey | None) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    memberships = Membership.objects.filter(user=user)
    return memberships.filter(organisation=api_key.organisation_id) if api_key else memberships


def programs_for_org(org) -> QuerySet[MiniProgram]:
    return programs_for_orgs([org.pk])


def programs_for_orgs(org_ids: list[int]) -> QuerySet[MiniProgram]:
    return (
        MiniProgram.objects.filter(organisation__in=org_ids, deleted_at=None)
        .prefetch_related("categories")
        .annotate(version_count=Count("versions"))
        .order_by("name")
    )


LIVE_STATUSES = (Version.Status.RELEASED, Version.Status.PHASED)


def with_live_releases(programs: QuerySet[MiniProgram]) -> QuerySet[MiniProgram]:
    """`programs` with their released and phased versions read in one query (for `live_releases`)."""
    live = Version.objects.filter(status__in=LIVE_STATUSES).only("program_id", "version", "status",
                                                                 "phased_percentage")
    return programs.prefetch_related(Prefetch("versions", queryset=live, to_attr="live_release_rows"))


def live_releases(program: MiniProgram) -> tuple[Version | None, Version | None]:
    """(the version everyone gets, the version being phased in) of `program`; either may be None."""
    rows = getattr(program, "live_release_rows", None)
    if rows is None:
        rows = list(program.versions.filter(status__in=LIVE_STATUSES))
    by_status = {row.status: row for row in rows}  # at most one of each (partial unique constraints)
    return by_status.get(Version.Status.RELEASED), by_status.get(Version.Status.PHASED)


def program_for_user(user, appid: str, *, api_key: ApiKey | None = None) -> tuple[MiniProgram, Membership]:
    """The program `appid` and the caller's membership of its organisation; 404 for everyone else.

    With an API key only programs of the key's organisation are reachable.
    """
    program = (
        MiniProgram.objects.select_related("organisation")
        .filter(appid=appid, deleted_at=None)
        .first()
    )
    # One answer whether it does not exist or is not the caller's.
    not_found = NamedNotFound(_("No program with this AppID that you can reach."))
    if program is None:
        raise not_found
    # One membership per user and organisation: no ordering (the model's joins two tables to sort).
    membership = _memberships(user, api_key).filter(organisation=program.organisation_id).order_by().first()
    if membership is None:
        raise not_found
    membership.organisation = program.organisation
    return program, membership


def program_of_membership(membership: Membership, appid: str) -> MiniProgram:
    """The program `appid` if it belongs to the membership's organisation (and is not deleted); else 404.

    For pages that hold the caller's membership already (the organisation page decorator read it in
    this request): no second membership lookup.
    """
    program = MiniProgram.objects.filter(
        appid=appid, deleted_at=None, organisation=membership.organisation_id).first()
    if program is None:
        raise Http404
    program.organisation = membership.organisation
    return program


def version_of_membership(membership: Membership, appid: str, version: str) -> Version:
    program = program_of_membership(membership, appid)
    obj = program.versions.filter(version=version).select_related("uploaded_by").first()
    if obj is None:
        raise Http404
    obj.program = program
    return obj


def version_for_user(user, appid: str, version: str, *, api_key: ApiKey | None = None):
    program, membership = program_for_user(user, appid, api_key=api_key)
    obj = program.versions.filter(version=version).select_related("uploaded_by").first()
    if obj is None:
        raise NamedNotFound(_("Program %(appid)s has no version %(version)s.") % {"appid": appid, "version": version})
    obj.program = program
    return obj, membership


def versions_of(program: MiniProgram, *, status: str = "") -> QuerySet[Version]:
    versions = program.versions.select_related("uploaded_by").order_by("-created_at")
    return versions.filter(status=status) if status else versions


def with_release_state(programs: QuerySet[MiniProgram]) -> QuerySet[MiniProgram]:
    """Annotate what a list of programs shows beside each name: the version users have now (`released_version`)
    and the newest upload with its status (`latest_version`, `latest_status`)."""
    newest = Version.objects.filter(program=OuterRef("pk")).order_by("-created_at")
    released = newest.filter(status=Version.Status.RELEASED)
    return programs.annotate(
        released_version=Subquery(released.values("version")[:1]),
        latest_version=Subquery(newest.values("version")[:1]),
        latest_status=Subquery(newest.values("status")[:1]),
    )


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True)


def search_programs(org, query: str) -> QuerySet[MiniProgram]:
    programs = programs_for_org(org)
    if query:
        programs = programs.filter(Q(name__icontains=query) | Q(appid__startswith=query))
    return programs


# ---------------------------------------------------------------- the code viewer


def current_release(program: MiniProgram) -> Version | None:
    return program.versions.filter(status=Version.Status.RELEASED).first()


def diff_against_release(version: Version, released: Version | None = None):
    """What changed since the program's current release (`released` when the caller already has it)."""
    from programs.versiondiff import version_diff

    if released is None:
        released = current_release(version.program)
    if released is None or released.pk == version.pk:
        return version_diff(new_report=version.scan_report, new_metadata=version.submitted_metadata,
                            first_release=True)
    return version_diff(
        new_report=version.scan_report, new_metadata=version.submitted_metadata,
        old_report=released.scan_report, old_metadata=released.submitted_metadata,
    )


def code_version_access(user, version: Version | None, *, api_key: ApiKey | None = None) -> Version:
    """The one rule for reading a version's files (code viewer pages, its API, member downloads).

    Members of the program's organisation may (any role; with an API key, only the key's organisation);
    reviewers may, signed in (not with a key), for versions that were submitted for review.
    Everyone else gets 404, as if the version did not exist.
    """
    if version is None or not user.is_authenticated or version.program.deleted_at is not None:
        raise Http404
    if _memberships(user, api_key).filter(organisation=version.program.organisation_id).exists():
        return version
    if api_key is None and version.submitted_at is not None and user.is_reviewer:
        return version
    raise Http404


def code_version_by_id(user, version_id: int) -> Version:
    """The reviewers' way in (/reviews/<id>/code/), through `code_version_access`."""
    version = Version.objects.select_related("program__organisation").filter(pk=version_id).first()
    return code_version_access(user, version)


def code_version_for_user(user, appid: str, version: str, *, api_key: ApiKey | None = None) -> Version:
    """The organisation's and the API's way in (by AppID and version string), through `code_version_access`."""
    obj = (Version.objects.select_related("program__organisation")
           .filter(program__appid=appid, program__deleted_at=None, version=version).first())
    return code_version_access(user, obj, api_key=api_key)


def package_version_for_user(user, appid: str, version: str, *, api_key: ApiKey | None = None) -> Version:
    """The version whose package `user` may download; 404 for everyone else (one rule for every download).

    Whoever may read the version's files may (`code_version_access`: members, and reviewers once it was
    submitted); the program's named testers may too, for its trial version only.
    """
    obj = (Version.objects.select_related("program__organisation")
           .filter(program__appid=appid, program__deleted_at=None, version=version).first())
    try:
        return code_version_access(user, obj, api_key=api_key)
    except Http404:
        if api_key is None and obj is not None and obj.program.trial_version_id == obj.pk \
                and is_named_tester(user, obj.program):
            return obj
        raise


def is_named_tester(user, program: MiniProgram) -> bool:
    """A trial tester named by email (in any case), once the account has confirmed that address.

    Both addresses are kept lower-cased (by Python), so they are compared as they are. `email__iexact` compared
    them in upper case on PostgreSQL, where "ı" (a dotless i) becomes "I": the owner of alice@gmaıl.com (a
    domain anyone may register) passed as the tester alice@gmail.com and downloaded the trial package.
    """
    return (user.is_authenticated and user.email_verified
            and program.testers.filter(email=user.email.lower()).exists())


def privacy_declaration(program: MiniProgram) -> dict[str, str]:
    """The program's privacy declaration as the scanner takes it: kind -> purpose."""
    return {item.kind: item.purpose for item in privacy_items(program)}


def privacy_items(program: MiniProgram) -> list[PrivacyItem]:
    """The declaration's lines in the catalogue's order."""
    return sorted(PrivacyItem.objects.filter(program=program), key=lambda item: item.position)


# The category catalog changes only when an admin edits it; an audit page names the categories of many events.
_categories = TtlMemo(lambda: 60.0, max_entries=1)


def category_names_of(codes) -> dict[str, str]:
    """Names (in the interface language) of the categories with these codes; the catalog is read at most once a
    minute per process (unsaved copies, so that `display_name` stays the one rule for the language)."""
    return {c.code: c.display_name for c in _categories.get("all", _read_categories) if c.code in codes}


def _read_categories() -> list[Category]:
    return [Category(code=code, name=name, name_zh=name_zh)
            for code, name, name_zh in Category.objects.values_list("code", "name", "name_zh")]
