"""Downloads of private files: packages (members, reviewers, the trial's testers) and qualification documents."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from console.views.decorators import org_page
from programs.packages import package_filename, private_file_response, safe_filename
from programs.selectors import package_version_for_user
from programs.views.access import program_in_org


@login_required
@require_GET
def package_download(request, appid, version):
    """The package of a version, for whoever programs.selectors.package_version_for_user lets have it; else 404."""
    obj = package_version_for_user(request.user, appid, version)
    return private_file_response(obj.package, filename=package_filename(obj), content_type="application/zip")


@org_page()  # first: outsiders get 404 whatever the method
@require_GET
def qualification_download(request, membership, appid, document_id):
    program = program_in_org(request, membership, appid)
    document = get_object_or_404(program.qualifications, pk=document_id)
    return private_file_response(document.file, filename=safe_filename(document.original_name))
