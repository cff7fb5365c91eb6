"""Reads for programs and versions, with the access helpers every page and API view uses."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from console.models import ApiKey, Membership
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


def program_for_user(user, appid: str, *, api_key: ApiKey | None = None) -> tuple[MiniProgram, Membership]:
    """The program `appid` and the caller's membership of its organisation; 404 for everyone else.

    With an API key only programs of the key's organisation are reachable.
    """
    program = (
        MiniProgram.objects.select_related("organisation")
        .filter(appid=appid, deleted_at=None)
        .first()
    )
    if program is None:
        raise Http404
    membership = _memberships(user, api_key).filter(organisation=program.organisation_id).first()
    if membership is None:
        raise Http404
    membership.organisation = program.organisation
    return program, membership


def version_for_user(user, appid: str, version: str, *, api_key: ApiKey | None = None):
    program, membership = program_for_user(user, appid, api_key=api_key)
    obj = program.versions.filter(version=version).select_related("uploaded_by").first()
    if obj is None:
        raise Http404
    obj.program = program
    return obj, membership


def versions_of(program: MiniProgram, *, status: str = "") -> QuerySet[Version]:
    versions = program.versions.select_related("uploaded_by").order_by("-created_at")
    return versions.filter(status=status) if status else versions


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True)


def search_programs(org, query: str) -> QuerySet[MiniProgram]:
    programs = programs_for_org(org)
    if query:
        programs = programs.filter(Q(name__icontains=query) | Q(appid__startswith=query))
    return programs


def privacy_declaration(program: MiniProgram) -> dict[str, str]:
    """The program's privacy declaration as the scanner takes it: kind -> purpose."""
    return {item.kind: item.purpose for item in privacy_items(program)}


def privacy_items(program: MiniProgram) -> list[PrivacyItem]:
    """The declaration's lines in the catalogue's order."""
    return sorted(PrivacyItem.objects.filter(program=program), key=lambda item: item.position)
