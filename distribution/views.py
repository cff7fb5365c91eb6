"""Developer pages: a program's distribution matrix, requesting a scene, a request, a grant; the scene catalog."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.exceptions import Conflict
from console.forms import add_service_errors, error_text
from console.roles import Capability, role_can
from console.views.decorators import org_page
from distribution import selectors, services
from distribution.forms import RequestForm
from distribution.rules import rule_lines
from programs.views.access import program_in_org


def _can_request(membership) -> bool:
    return role_can(membership.role, Capability.DISTRIBUTE)


@org_page()
def program_distribution(request, membership, appid):
    program = program_in_org(request, membership, appid)
    context = {
        "membership": membership, "program": program, "matrix": selectors.program_distribution(program),
        "requests": selectors.program_requests(program)[:20], "history": selectors.distribution_history(program),
        "can_request": _can_request(membership),
    }
    return render(request, "distribution/program_distribution.html", context)


@org_page(Capability.DISTRIBUTE)
def request_new(request, membership, appid, scene_code):
    program = program_in_org(request, membership, appid)
    scene = selectors.scene_by_code(scene_code)
    row = selectors.scene_row(program, scene)
    form = RequestForm(request.POST or None, request.FILES or None, scene=scene)
    refused = False
    if request.method == "POST" and form.is_valid():
        try:
            created = services.whitelist_request_create(
                program=program, scene=scene, actor=request.user, justification=form.cleaned_data["justification"],
                evidence=form.cleaned_data["evidence"])
        except Conflict as exc:
            messages.error(request, str(exc))
            return redirect("program_distribution", membership.organisation.slug, program.appid)
        except services.NotEligible:
            refused = True  # the page says why, once, above the form
            row = selectors.scene_row(program, scene)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Requested %(scene)s. Operators answer oldest requests first.") % {
                "scene": scene.display_name()})
            return redirect("distribution_request", membership.organisation.slug, program.appid, created.pk)
    context = {"membership": membership, "program": program, "scene": scene, "row": row, "form": form,
               "rules": rule_lines(scene, selectors.category_names())}
    return render(request, "distribution/request_form.html", context, status=400 if form.errors or refused else 200)


@org_page()
def request_detail(request, membership, appid, request_id):
    program = program_in_org(request, membership, appid)
    obj = selectors.request_for_program(program, request_id)
    context = {"membership": membership, "program": program, "req": obj, "can_request": _can_request(membership),
               "grant": getattr(obj, "grant", None) if obj.status == obj.Status.APPROVED else None}
    return render(request, "distribution/request_detail.html", context)


@require_POST
@org_page(Capability.DISTRIBUTE)
def request_withdraw(request, membership, appid, request_id):
    program = program_in_org(request, membership, appid)
    obj = selectors.request_for_program(program, request_id)
    try:
        services.whitelist_request_withdraw(request=obj, actor=request.user)
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect("distribution_request", membership.organisation.slug, program.appid, obj.pk)


@org_page()
def request_evidence(request, membership, appid, request_id, evidence_id):
    program = program_in_org(request, membership, appid)
    return evidence_response(selectors.request_for_program(program, request_id), evidence_id)


def evidence_response(obj, evidence_id: int) -> FileResponse:
    """An evidence file, downloaded (never rendered inline), to whoever reached its request."""
    evidence = next((e for e in obj.evidence.all() if e.pk == evidence_id), None)
    if evidence is None:
        raise Http404
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)


@org_page()
def grant_detail(request, membership, appid, grant_id):
    program = program_in_org(request, membership, appid)
    grant = selectors.grant_for_program(program, grant_id)
    row = selectors.scene_row(program, grant.scene)
    context = {"membership": membership, "program": program, "grant": grant, "row": row,
               "can_request": _can_request(membership), "is_current": row.grant is not None and row.grant.pk == grant.pk}
    return render(request, "distribution/grant_detail.html", context)


@require_GET
@login_required
def scene_catalog(request):
    names = selectors.category_names()
    hosts = [(host, [(scene, rule_lines(scene, names)) for scene in host.scenes.all()])
             for host in selectors.hosts_with_scenes()]
    return render(request, "distribution/scenes.html", {"hosts": hosts})
