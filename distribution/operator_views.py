"""Platform operators' pages: the distribution queue, a request with its decision, a grant with revocation."""

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.exceptions import Conflict
from console.forms import add_service_errors, error_text
from distribution import selectors, services
from distribution.forms import (
    PLACEMENT_FIELDS,
    WINDOWS,
    ApproveForm,
    GrantFilterForm,
    GrantTermsForm,
    QueueFilterForm,
    ReasonForm,
    placements_from_post,
)
from distribution.placements import MAX_PLACEMENTS
from distribution.views import evidence_response
from hosts.selectors import host_names


def operator_page(view):
    """Login required; anyone outside the platform operators group gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_platform_operator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@operator_page
def queue(request):
    hosts = selectors.operator_hosts(request.user)
    form = QueueFilterForm(request.GET, hosts=hosts)
    requests = selectors.operator_queue(operator=request.user, filters=form.filters())
    page = Paginator(requests, settings.DISTRIBUTION_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "hosts": hosts, "filtering": form.active, "now": timezone.now(),
               "own_pending": selectors.own_pending_count(operator=request.user)}
    return render(request, "distribution/queue.html", context)


@require_GET
@operator_page
def grants(request):
    hosts = selectors.operator_hosts(request.user)
    form = GrantFilterForm(request.GET, hosts=hosts)
    rows = selectors.operator_grants(operator=request.user, **form.selection())
    page = Paginator(rows, settings.DISTRIBUTION_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "distribution/grants.html", {"form": form, "page": page, "now": timezone.now(),
                                                        "expiring_days": selectors.EXPIRING_DAYS})


def _approve_initial(req) -> dict:
    scene, old = req.scene, req.renewal_of
    initial = {"rollout_percent": scene.default_rollout_percent,
               "valid_until": timezone.localdate() + timedelta(days=scene.max_grant_days)}
    if old is not None:  # a renewal carries the old grant's caps over
        initial.update(share_cap=old.share_cap, share_window_seconds=old.share_window_seconds,
                       daily_cap=old.daily_cap, rollout_percent=old.rollout_percent)
    return initial


def _grant_rows(grant) -> list[dict]:
    """A grant's placements as form rows (datetime-local values in the console's time zone)."""
    rows = [{name: getattr(p, name) or "" for name in PLACEMENT_FIELDS} for p in grant.placements.all()]
    for row in rows:
        for name in ("starts_at", "ends_at"):
            row[name] = timezone.localtime(row[name]).strftime("%Y-%m-%dT%H:%M") if row[name] else ""
    return rows


def _placement_rows(req, post=None) -> list[dict]:
    """The placement rows the form shows: what was posted, else a renewal's carried-over rows, else one blank."""
    if post is not None:
        rows = [{name: post.get(f"p-{i}-{name}", "") for name in PLACEMENT_FIELDS} for i in range(MAX_PLACEMENTS)]
        rows = [r for r in rows if any(v.strip() for v in r.values())]
    elif req.renewal_of is not None:
        rows = _grant_rows(req.renewal_of)
    else:
        rows = []
    return rows or [dict.fromkeys(PLACEMENT_FIELDS, "")]


def _request_page(request, req, *, approve_form=None, reject_form=None, open_form="", status=200):
    program = req.program
    release = selectors.program_release(program)
    context = {
        "req": req, "program": program, "org": program.organisation, "scene": req.scene,
        "categories": program.categories.all(), "release": release,
        "release_hosts": host_names(release.approved_hosts) if release else [],
        "history": selectors.program_history(program), "grants": selectors.program_grants(program),
        "past_requests": selectors.past_requests(program, exclude=req.pk),
        "approve_form": approve_form or ApproveForm(initial=_approve_initial(req), scene=req.scene),
        "reject_form": reject_form or ReasonForm(auto_id=REJECT_IDS), "open_form": open_form,
        "placement_rows": _placement_rows(req, request.POST if approve_form is not None else None),
        "windows": WINDOWS, "decidable": req.status == req.Status.PENDING,
        "blocker": services.decision_blocker(request.user, req.scene, req.program),
    }
    return render(request, "distribution/operator_request.html", context, status=status)


@require_GET
@operator_page
def request_page(request, request_id):
    return _request_page(request, selectors.request_for_operator(request.user, request_id))


# The reject form's field ids: both forms have a `text`, and one id for two fields left the reject note unnamed.
REJECT_IDS = "id_reject_%s"


@require_POST
@operator_page
def request_decide(request, request_id):
    req = selectors.request_for_operator(request.user, request_id)
    approve = request.POST.get("decision") == "approve"
    form = ApproveForm(request.POST, scene=req.scene) if approve else ReasonForm(request.POST, auto_id=REJECT_IDS)
    if form.is_valid():
        try:
            if approve:
                grant = services.whitelist_approve(request=req, operator=request.user,
                                                   **form.service_kwargs(request.POST))
                messages.success(request, _("Granted %(scene)s to %(program)s until %(date)s.") % {
                    "scene": req.scene.code, "program": req.program.name, "date": f"{timezone.localdate(grant.valid_until):%Y-%m-%d}"})
            else:
                services.whitelist_reject(request=req, operator=request.user, **form.cleaned_data)
                messages.success(request, _("Rejected %(program)s's request for %(scene)s.") % {
                    "scene": req.scene.code, "program": req.program.name})
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, str(exc))
            return redirect("distribution_operator_request", req.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("distribution_queue")
    forms = {"approve_form": form} if approve else {"reject_form": form}
    return _request_page(request, req, open_form="approve" if approve else "reject", status=400, **forms)


@require_GET
@operator_page
def request_evidence(request, request_id, evidence_id):
    return evidence_response(selectors.request_for_operator(request.user, request_id), evidence_id)


@operator_page
def grant_page(request, grant_id):
    grant = selectors.grant_for_operator(request.user, grant_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_revoke(grant=grant, operator=request.user, **form.cleaned_data)
        except (Conflict, PermissionDenied, ValidationError) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Revoked %(scene)s for %(program)s: the gate refuses it from now on.") % {
                "scene": grant.scene.code, "program": grant.program.name})
        return redirect("distribution_operator_grant", grant.pk)
    return _grant_page(request, grant, form=form, status=400 if form.errors else 200)


def _grant_page(request, grant, *, form=None, terms_form=None, status=200):
    context = {"grant": grant, "program": grant.program, "form": form or ReasonForm(), "now": timezone.now(),
               "blocker": services.decision_blocker(request.user, grant.scene, grant.program),
               "placement_rows": _grant_rows(grant) or [dict.fromkeys(PLACEMENT_FIELDS, "")],
               "terms_form": terms_form or GrantTermsForm.for_grant(grant)}
    return render(request, "distribution/operator_grant.html", context, status=status)


@require_POST
@operator_page
def grant_terms(request, grant_id):
    """Tighten or loosen a live grant's caps and rollout without revoking it (the gate applies them at once)."""
    grant = selectors.grant_for_operator(request.user, grant_id)
    form = GrantTermsForm.for_grant(grant, request.POST)
    if form.is_valid():
        try:
            services.grant_set_terms(grant=grant, operator=request.user, **form.cleaned_data)
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return redirect("distribution_operator_grant", grant.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Caps and rollout saved; the share gate applies them now."))
            return redirect("distribution_operator_grant", grant.pk)
    # What was typed stays, with each error beside its field.
    return _grant_page(request, grant, terms_form=form, status=400)


@require_POST
@operator_page
def grant_placements(request, grant_id):
    """Replace a live grant's accounts, topics or campaigns (the host sees the change at once)."""
    grant = selectors.grant_for_operator(request.user, grant_id)
    try:
        services.grant_set_placements(grant=grant, operator=request.user, placements=placements_from_post(request.POST))
    except (Conflict, PermissionDenied, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Placements saved."))
    return redirect("distribution_operator_grant", grant.pk)
