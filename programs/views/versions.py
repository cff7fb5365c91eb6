"""Version pages: the browser upload (form + JSON endpoint), the version page and its live scan progress."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from console.forms import add_service_errors
from console.panels import VERSION_PAGE, panels_for
from console.roles import Capability, role_can
from console.views.decorators import org_page
from programs import services
from programs.forms import (
    FindingFilterForm,
    RaiseForm,
    ReleaseForm,
    SubmitForm,
    VersionUploadForm,
)
from programs.models import Version
from programs.uploads import (
    declared_length_exceeds,
    install_package_upload_handler,
    upload_rate_message,
    upload_rate_wait,
)
from programs.views.access import program_in_org, version_in_org
from programs.views.code import org_links
from programs.views.lifecycle import lifecycle_context
from programs.views.reports import version_state_context


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _highest_version(program) -> str:
    """The version string a new upload must exceed (failed scans do not count), for the form's hint."""
    versions = program.versions.exclude(status=Version.Status.SCAN_FAILED).only("version", "sort_key")
    highest = max(versions, key=lambda v: v.sort_key, default=None)
    return highest.version if highest else ""


def suggested_next_version(highest: str) -> str:
    """The version after `highest` with its last number raised (1.0.2 → 1.0.3, 1.2.3-beta.1 → 1.2.4), for the
    form's placeholder; "1.0.0" for a first upload."""
    numbers = highest.split("-", 1)[0].split("+", 1)[0].split(".") if highest else []
    if not numbers or not all(n.isdigit() for n in numbers):
        return "1.0.0"
    return ".".join([*numbers[:-1], str(int(numbers[-1]) + 1)])


def _upload_form(request, membership, program, form, *, status=200, package_error=""):
    highest = _highest_version(program)
    form.fields["version"].widget.attrs["placeholder"] = suggested_next_version(highest)
    context = {
        "membership": membership, "program": program, "form": form, "package_error": package_error,
        "highest": highest, "limit": membership.organisation.package_upload_limit,
    }
    return render(request, "programs/version_upload.html", context, status=status)


def _error_json(code: str, message: str, fields: dict, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields}}, status=status)


@csrf_exempt  # the body must not be read before the hashing upload handler is in place; CSRF is checked below
@org_page(Capability.WRITE_PROGRAMS)
def version_upload_page(request, membership, appid):
    """GET: the upload form. POST: store the package (plain form post → redirect; upload.js → JSON)."""
    program = program_in_org(request, membership, appid)
    if request.method != "POST":
        return _upload_form(request, membership, program, VersionUploadForm())
    limit = membership.organisation.package_upload_limit
    wait = upload_rate_wait(membership.organisation)
    if wait:
        return _rate_limited(request, membership, program, wait)
    if declared_length_exceeds(request, limit):
        return _too_large(request, membership, program, limit, VersionUploadForm())
    state = install_package_upload_handler(request, limit)
    return _receive_upload(request, membership, program, state)


@csrf_protect
def _receive_upload(request, membership, program, state):
    form = VersionUploadForm(request.POST, request.FILES)
    if state.exceeded:
        return _too_large(request, membership, program, state.max_bytes, VersionUploadForm(request.POST))
    if form.is_valid():
        try:
            result = services.version_upload(
                program=program, actor=request.user, method=Version.UploadMethod.BROWSER, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _uploaded(request, membership, result)
    return _upload_refused(request, membership, program, form)


def _uploaded(request, membership, result):
    version = result.version
    url = reverse("version_detail", args=[membership.organisation.slug, version.program.appid, version.version])
    if result.created:
        messages.success(request, _("Version %(v)s uploaded.") % {"v": version.version})
    else:
        messages.info(request, result.duplicate_message())
    if _wants_json(request):
        body = {"version": version.version, "status": version.status, "created": result.created, "url": url}
        return JsonResponse(body, status=201 if result.created else 200)
    return redirect(url)


def _upload_refused(request, membership, program, form):
    if _wants_json(request):
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        message = next(iter(fields.values()))[0] if fields else _("The upload was refused.")
        return _error_json("invalid", message, fields, 400)
    return _upload_form(request, membership, program, form, status=400)


def _rate_limited(request, membership, program, wait: int):
    message = upload_rate_message(wait)
    if _wants_json(request):
        response = _error_json("rate_limited", message, {}, 429)
    else:
        response = _upload_form(request, membership, program, VersionUploadForm(), status=429, package_error=message)
    response["Retry-After"] = str(wait)
    return response


def _too_large(request, membership, program, limit: int, form):
    message = _("The package is larger than this organisation's upload limit of %(mb)s MB.") % {
        "mb": f"{limit / (1024 * 1024):g}"}
    if _wants_json(request):
        return _error_json("package_too_large", message, {"package": [message]}, 413)
    return _upload_form(request, membership, program, form, status=413, package_error=message)


def _live_context(request, membership, obj, *, severity: str = "", query: str = "", submit_form=None) -> dict:
    """What the page and its polled partial share: status, lifecycle, next actions, panels, report."""
    return {
        "membership": membership, "program": obj.program,
        "can_write": role_can(membership.role, Capability.WRITE_PROGRAMS),
        "panels": panels_for(VERSION_PAGE, request, version=obj, membership=membership),
        "submit_form": submit_form or SubmitForm(), "release_form": ReleaseForm(), "raise_form": RaiseForm(),
        "code": org_links(membership.organisation.slug, obj) if obj.scan_done else None,
        "progress_seen": _progress_fingerprint(obj),
        **version_state_context(obj, severity=severity, query=query),
        **lifecycle_context(obj, membership),
    }


def _progress_fingerprint(version) -> str:
    """What the polled section shows that can change while it scans."""
    return f"{version.status}.{version.scan_stage}.{version.scan_progress}.{version.scan_attempts}"


def version_page(request, membership, obj, *, submit_form=None, status=200):
    """The version page; the submit view renders it again (status 400) with a refused form."""
    severity, query = FindingFilterForm(request.GET).values()
    context = {
        **_live_context(request, membership, obj, severity=severity, query=query, submit_form=submit_form),
        "severity": severity, "q": query,
    }
    return render(request, "programs/version_detail.html", context, status=status)


@org_page()
def version_detail(request, membership, appid, version):
    return version_page(request, membership, version_in_org(request, membership, appid, version))


@org_page()
def version_progress(request, membership, appid, version):
    """The live part of the version page, polled by htmx while scanning; once done it renders without
    the polling trigger (so polling stops), with the report and the next actions."""
    obj = version_in_org(request, membership, appid, version)
    if not obj.scan_done and request.GET.get("seen") == _progress_fingerprint(obj):
        # Nothing new: htmx swaps nothing on a 204, so focus stays where it is and a screen reader hears
        # nothing (the whole section was replaced every second: focus fell to the page's top).
        return HttpResponse(status=204)
    context = _live_context(request, membership, obj)
    response = render(request, "programs/includes/version_state.html", context)
    if obj.scan_done:  # the last poll: the head's buttons too ("Browse the code" needs the report)
        response.write(render_to_string("programs/includes/version_page_actions.html",
                                        {**context, "out_of_band": True}, request=request))
    return response
