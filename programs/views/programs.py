"""Program pages: list, create, detail, edit (with logo and qualification documents)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.forms import add_service_errors
from console.panels import PROGRAM_PAGE, panels_for
from console.roles import Capability, role_can
from console.views.decorators import org_page
from programs import services
from programs.forms import DOMAIN_LABELS, LogoForm, PrivacyDeclarationForm, ProgramForm, QualificationForm
from programs.images import LOGO_MAX_UPLOAD_BYTES
from programs.models import Version
from programs.selectors import privacy_declaration, privacy_items, search_programs, versions_of, with_release_state
from programs.views.access import program_in_org
from programs.views.lifecycle import releases_context
from programs.views.trial import trial_context

PAGE_SIZE = 25


def _can_write(membership) -> bool:
    return role_can(membership.role, Capability.WRITE_PROGRAMS)


@org_page()
def program_list(request, membership):
    query = request.GET.get("q", "").strip()
    programs = with_release_state(search_programs(membership.organisation, query))
    page = Paginator(programs, PAGE_SIZE).get_page(request.GET.get("page"))
    for program in page.object_list:
        program.latest_status_label = Version.Status(program.latest_status).label if program.latest_status else ""
    context = {"membership": membership, "page": page, "q": query, "can_write": _can_write(membership)}
    return render(request, "programs/program_list.html", context)


@org_page(Capability.WRITE_PROGRAMS)
def program_create(request, membership):
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(org=membership.organisation, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Mini-program “%(name)s” created. Its AppID is %(appid)s.") % {
                "name": program.name, "appid": program.appid})
            return redirect("program_detail", membership.organisation.slug, program.appid)
    context = {"membership": membership, "form": form}
    return render(request, "programs/program_form.html", context, status=400 if form.errors else 200)


@org_page()
def program_detail(request, membership, appid):
    program = program_in_org(request, membership, appid)
    # Read once: the badges, the missing qualifications and the distribution panel's eligibility each ask.
    prefetch_related_objects([program], "categories")
    can_write = _can_write(membership)
    context = {
        "membership": membership, "program": program,
        "page": Paginator(versions_of(program), PAGE_SIZE).get_page(request.GET.get("page")),
        "missing": services.missing_qualifications(program), "can_write": can_write,
        "domains": [(DOMAIN_LABELS[kind], entries) for kind, entries in program.domains().items()],
        "releases": releases_context(program), **trial_context(program, can_write=can_write),
        "panels": panels_for(PROGRAM_PAGE, request, program=program, membership=membership),
        "privacy_items": privacy_items(program),
    }
    return render(request, "programs/program_detail.html", context)


def _edit_page(request, membership, program, *, form=None, logo_form=None, qualification_form=None,
               privacy_form=None, status=200):
    context = {
        "privacy_form": privacy_form or PrivacyDeclarationForm(items=privacy_declaration(program)),
        "membership": membership, "program": program,
        "form": form or ProgramForm(initial=ProgramForm.initial_for(program)),
        "logo_form": logo_form or LogoForm(),
        "qualification_form": qualification_form or QualificationForm(program=program),
        "qualifications": program.qualifications.select_related("category", "uploaded_by"),
        "missing": services.missing_qualifications(program),
    }
    return render(request, "programs/program_edit.html", context, status=status)


@org_page(Capability.WRITE_PROGRAMS)
def program_edit(request, membership, appid):
    program = program_in_org(request, membership, appid)
    if request.method != "POST":
        return _edit_page(request, membership, program)
    form = ProgramForm(request.POST)
    if form.is_valid():
        try:
            services.program_update(program=program, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
            program = program_in_org(request, membership, appid)  # the refused changes never reached the page
        else:
            messages.success(request, _("Mini-program saved."))
            return redirect("program_detail", membership.organisation.slug, program.appid)
    return _edit_page(request, membership, program, form=form, status=400)


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def program_logo(request, membership, appid):
    program = program_in_org(request, membership, appid)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            # Read one byte past the limit so process_logo refuses an oversize file without loading it all.
            data = form.cleaned_data["logo"].read(LOGO_MAX_UPLOAD_BYTES + 1)
            services.program_set_logo(program=program, actor=request.user, data=data)
        except ValidationError as exc:
            form.add_error("logo", exc)
        else:
            messages.success(request, _("Logo updated."))
            return redirect("program_edit", membership.organisation.slug, program.appid)
    return _edit_page(request, membership, program, logo_form=form, status=400)


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def program_qualification(request, membership, appid):
    program = program_in_org(request, membership, appid)
    form = QualificationForm(request.POST, request.FILES, program=program)
    if form.is_valid():
        try:
            document = services.qualification_add(
                program=program, actor=request.user, category=form.cleaned_data["category"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Qualification document “%(name)s” added for %(category)s.") % {
                "name": document.original_name, "category": document.category.display_name})
            return redirect("program_edit", membership.organisation.slug, program.appid)
    return _edit_page(request, membership, program, qualification_form=form, status=400)


@require_POST
@org_page(Capability.WRITE_PROGRAMS)
def program_privacy(request, membership, appid):
    program = program_in_org(request, membership, appid)
    form = PrivacyDeclarationForm(request.POST)
    if form.is_valid():
        try:
            services.program_set_privacy_declaration(program=program, actor=request.user, items=form.items())
        except ValidationError as exc:
            for kind, errors in exc.message_dict.items():
                form.add_error(f"purpose_{kind}" if f"purpose_{kind}" in form.fields else None, errors)
        else:
            messages.success(request, _("Privacy declaration saved. It applies to packages scanned from now on."))
            return redirect("program_edit", membership.organisation.slug, program.appid)
    return _edit_page(request, membership, program, privacy_form=form, status=400)
