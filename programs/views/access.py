"""Reaching a program or version from a page inside an organisation."""

from django.http import Http404

from console.models import Membership
from programs.models import MiniProgram
from programs.selectors import is_named_tester, program_of_membership, version_of_membership


def program_in_org(request, membership, appid: str):
    """The program `appid` if the user may see it *and* it belongs to the page's organisation; else 404."""
    return program_of_membership(membership, appid)


def version_in_org(request, membership, appid: str, version: str):
    return version_of_membership(membership, appid, version)


def trial_program_for_user(user, appid: str):
    """The program whose trial `user` may open, and their membership (None for a tester); else 404.

    Members of the program's organisation and the named testers (email, case-insensitive, and only once
    the account has confirmed that address) may; nobody else learns that the program exists.
    """
    program = (MiniProgram.objects.select_related("organisation", "trial_version")
               .filter(appid=appid, deleted_at=None).first())
    if program is None or not user.is_authenticated:
        raise Http404
    membership = Membership.objects.filter(user=user, organisation=program.organisation_id).first()
    if membership is None and not is_named_tester(user, program):
        raise Http404
    return program, membership
