"""Organisation pages: dashboard, settings, members and invitations, API keys, audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from console.audit_words import target_type_label
from console.exceptions import NamedNotFound
from console.forms import ApiKeyForm, InvitationForm, OrganisationForm, RoleForm, error_text
from console.models import AuditEvent
from console.panels import DASHBOARD, panels_for
from console.roles import ASSIGNABLE_ROLES, Capability, Role, StaffGroup, role_can, scopes_for_role
from console.selectors import (
    api_key_for_member,
    audit_events_for_org,
    invitation_in_org,
    membership_in_org,
    organisation_api_keys,
    organisation_members,
    organisation_pending_invitations,
    require_capability,
)
from console.services import (
    api_key_create,
    api_key_revoke,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    organisation_create,
    organisation_update,
)
from console.views.decorators import org_page


@login_required
def dashboard(request):
    """Land where the user's work is: platform admins on the admin site, reviewers on the review queue,
    operators on the distribution queue, developers on the organisation they worked in last; else create one."""
    user = request.user
    if user.is_staff and (user.is_superuser or user.in_staff_group(StaffGroup.ADMINS)):
        return redirect("admin:index")
    if user.is_reviewer:
        return redirect("review_queue")
    if user.is_platform_operator:
        return redirect("distribution_queue")
    current = request.memberships.current()
    if current is not None:
        return redirect("organisation_dashboard", org_slug=current.organisation.slug)
    return redirect("organisation_create")


@login_required
def organisation_new(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = organisation_create(user=request.user, **form.cleaned_data)
        messages.success(request, _("Organisation “%(name)s” created.") % {"name": org.name})
        return redirect("organisation_dashboard", org_slug=org.slug)
    return render(request, "console/organisation_new.html", {"form": form})


@org_page()
def organisation_dashboard(request, membership):
    org = membership.organisation
    member_count, active_key_count = org.memberships.count(), org.api_keys.filter(revoked_at=None).count()
    context = {
        "membership": membership,
        "member_count": member_count,
        "active_key_count": active_key_count,
        # Shown until the team and a CI key are there (the programs panel has its own first step); an
        # organisation shipping six programs was still told how to start.
        # Its steps are an owner's or admin's to take: others were sent to pages that refuse them.
        "getting_started": None if (member_count > 1 and active_key_count)
        or not role_can(membership.role, Capability.MANAGE_MEMBERS) else {
            "invited": member_count > 1, "has_key": bool(active_key_count)},
        "recent_events": audit_events_for_org(org)[:8],
        "can": {cap: role_can(membership.role, cap) for cap in Capability.values},
        "panels": panels_for(DASHBOARD, request, membership=membership),
    }
    return render(request, "console/organisation_dashboard.html", context)


@org_page(Capability.MANAGE_ORG)
def organisation_settings(request, membership):
    org = membership.organisation
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        organisation_update(org=org, actor=request.user, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"])
        messages.success(request, _("Organisation saved."))
        return redirect("organisation_settings", org_slug=org.slug)
    return render(request, "console/organisation_settings.html", {"form": form, "membership": membership})


@org_page()
def members(request, membership):
    can_manage = role_can(membership.role, Capability.MANAGE_MEMBERS)
    form = InvitationForm(request.POST or None, assignable_roles=ASSIGNABLE_ROLES.get(membership.role, []))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            email = form.cleaned_data["email"].strip().lower()
            replaced = organisation_pending_invitations(membership.organisation).filter(email=email).exists()
            if _invite(request, membership, form):
                messages.success(request, _(
                    "Invitation sent to %(email)s; the link sent earlier no longer works.") % {"email": email}
                    if replaced else _("Invitation sent to %(email)s.") % {"email": email})
                return redirect("members", org_slug=membership.organisation.slug)
    context = {
        "membership": membership,
        "members": organisation_members(membership.organisation),
        "invitations": organisation_pending_invitations(membership.organisation)[:50] if can_manage else [],
        "form": form,
        "can_manage": can_manage,
        "role_choices": [(r, label) for r, label in Role.choices if r in ASSIGNABLE_ROLES.get(membership.role, [])],
        "role_values": ASSIGNABLE_ROLES.get(membership.role, []),
        # The last owner can neither be demoted nor leave: show them no control that would be refused.
        "sole_owner_id": _sole_owner_id(membership.organisation),
    }
    return render(request, "console/members.html", context, status=400 if form.errors else 200)


def _sole_owner_id(org) -> int | None:
    owners = list(org.memberships.filter(role=Role.OWNER).values_list("pk", flat=True)[:2])
    return owners[0] if len(owners) == 1 else None


def _invite(request, membership, form) -> bool:
    """Send the invitation; on a refusal put the reason on the form and return False."""

    def accept_url(token):
        return request.build_absolute_uri(reverse("invitation_accept", args=[token]))

    try:
        invitation_create(
            org=membership.organisation, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
            invited_by=request.user, accept_url_builder=accept_url,
        )
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        return False
    return True


@require_POST
@org_page(Capability.MANAGE_MEMBERS)
def member_role(request, membership, member_id):
    target = membership_in_org(membership.organisation, member_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            membership_change_role(membership=target, actor=request.user, role=form.cleaned_data["role"])
            messages.success(request, _("%(email)s is now %(role)s.") % {
                "email": target.user.email, "role": target.get_role_display()})
        except (ValidationError, PermissionDenied, NamedNotFound) as exc:
            messages.error(request, error_text(exc))
    return redirect("members", org_slug=membership.organisation.slug)


@require_POST
@org_page()
def member_remove(request, membership, member_id):
    target = membership_in_org(membership.organisation, member_id)
    leaving = target.pk == membership.pk
    if not leaving:  # anyone may leave; removing others needs the capability
        require_capability(membership, Capability.MANAGE_MEMBERS)
    try:
        removed = membership_remove(membership=target, actor=request.user)
        messages.success(request, _removal_message(target, leaving=leaving, removed=removed))
    except (ValidationError, PermissionDenied, NamedNotFound) as exc:  # the last: a double click's second
        messages.error(request, error_text(exc))
        return redirect("members", org_slug=membership.organisation.slug)
    if leaving:
        return redirect("dashboard")
    return redirect("members", org_slug=membership.organisation.slug)


def _removal_message(target, *, leaving: bool, removed) -> str:
    if leaving:
        return _("You left %(org)s.") % {"org": target.organisation.name}
    gone = []
    if removed.api_keys:
        gone.append(ngettext("%(n)d API key revoked", "%(n)d API keys revoked", removed.api_keys)
                    % {"n": removed.api_keys})
    if removed.invitations:
        gone.append(ngettext("%(n)d pending invitation they sent revoked",
                             "%(n)d pending invitations they sent revoked", removed.invitations)
                    % {"n": removed.invitations})
    if removed.webhooks:
        gone.append(ngettext("%(n)d webhook they added paused", "%(n)d webhooks they added paused", removed.webhooks)
                    % {"n": removed.webhooks})
    if not gone:
        return _("%(email)s was removed.") % {"email": target.user.email}
    return _("%(email)s was removed: %(gone)s.") % {"email": target.user.email, "gone": "; ".join(gone)}


@require_POST
@org_page(Capability.MANAGE_MEMBERS)
def invitation_cancel(request, membership, invitation_id):
    invitation = invitation_in_org(membership.organisation, invitation_id)
    try:
        revoked = invitation_revoke(invitation=invitation, actor=request.user, actor_role=membership.role)
    except PermissionDenied as exc:
        messages.error(request, error_text(exc))
        return redirect("members", org_slug=membership.organisation.slug)
    if revoked:
        messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    else:
        messages.warning(request, _("The invitation to %(email)s was already used or revoked.") % {
            "email": invitation.email})
    return redirect("members", org_slug=membership.organisation.slug)


@org_page(Capability.MANAGE_API_KEYS)
def api_keys(request, membership):
    org = membership.organisation
    allowed = scopes_for_role(membership.role)
    form = ApiKeyForm(request.POST or None, allowed_scopes=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = api_key_create(
                org=org, user=request.user, role=membership.role,
                name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Post/redirect/get: reloading the answer to the POST made another key. The secret waits in the
            # (server-side) session for the one page that shows it, and is gone once shown.
            request.session[_new_key_slot(key.pk)] = raw
            return redirect("api_key_created", org_slug=org.slug, key_id=key.pk)
    context = {"membership": membership, "keys": organisation_api_keys(org), "form": form}
    return render(request, "console/api_keys.html", context)


def _new_key_slot(key_id: int) -> str:
    return f"new_api_key:{key_id}"


@org_page(Capability.MANAGE_API_KEYS)
def api_key_created(request, membership, key_id):
    key = api_key_for_member(membership, key_id)
    raw = request.session.pop(_new_key_slot(key.pk), None)
    if raw is None:
        messages.info(request, _("The secret of “%(name)s” was shown once, when it was created, and cannot be shown "
                                 "again. If it was not copied, revoke the key and create another.") % {"name": key.name})
        return redirect("api_keys", org_slug=membership.organisation.slug)
    response = render(request, "console/api_key_created.html", {"membership": membership, "new_key": key,
                                                                 "raw_key": raw})
    response["Cache-Control"] = "no-store"  # not kept by the browser for Back or a shared machine's next user
    return response


@require_POST
@org_page(Capability.MANAGE_API_KEYS)
def api_key_delete(request, membership, key_id):
    key = api_key_for_member(membership, key_id)
    api_key_revoke(api_key=key, actor=request.user)
    messages.success(request, _("API key “%(name)s” revoked.") % {"name": key.name})
    return redirect("api_keys", org_slug=membership.organisation.slug)


@org_page()
def audit_log(request, membership):
    filters = {key: request.GET.get(key, "").strip() for key in ("action", "actor", "target_type")}
    events = audit_events_for_org(membership.organisation, **filters)
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    target_types = (
        AuditEvent.objects.filter(organisation=membership.organisation)
        .order_by().values_list("target_type", flat=True).distinct()
    )
    labelled = sorted((target_type_label(code), code) for code in target_types)
    context = {"membership": membership, "page": page, "filters": filters, "target_types": labelled}
    return render(request, "console/audit_log.html", context)


@login_required
def switch_organisation(request):
    """The org switcher posts here; going to the org's dashboard makes it the current one."""
    slug = request.POST.get("org") or request.GET.get("org") or ""
    if not any(m.organisation.slug == slug for m in request.memberships):
        raise Http404
    return redirect("organisation_dashboard", org_slug=slug)
