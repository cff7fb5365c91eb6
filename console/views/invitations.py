"""The page an invitation email links to."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from console.services import invitation_accept, invitation_by_token


def invitation_accept_page(request, token):
    invitation = invitation_by_token(token)
    if invitation is None:
        return render(request, "console/invitation.html", {"invitation": None}, status=404)
    # Back after accepting showed a member "already used… ask for a new one": say they are in, and where.
    already_member = request.user.is_authenticated and invitation.status != "pending" and (
        invitation.organisation.memberships.filter(user=request.user).exists())
    if request.method == "POST" and request.user.is_authenticated and not already_member:
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("invitation_accept", token=token)
        messages.success(request, _("You joined %(org)s.") % {"org": membership.organisation.name})
        return redirect("organisation_dashboard", org_slug=membership.organisation.slug)
    wrong_account = request.user.is_authenticated and request.user.email.lower() != invitation.email.lower()
    context = {"invitation": invitation, "wrong_account": wrong_account, "token": token,
               "already_member": already_member}
    return render(request, "console/invitation.html", context)
