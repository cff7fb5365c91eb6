"""Reaching a program or version from a page inside an organisation."""

from django.http import Http404

from programs.selectors import program_for_user, version_for_user


def program_in_org(request, membership, appid: str):
    """The program `appid` if the user may see it *and* it belongs to the page's organisation; else 404."""
    program, _ = program_for_user(request.user, appid)
    if program.organisation_id != membership.organisation_id:
        raise Http404
    return program


def version_in_org(request, membership, appid: str, version: str):
    obj, _ = version_for_user(request.user, appid, version)
    if obj.program.organisation_id != membership.organisation_id:
        raise Http404
    return obj
