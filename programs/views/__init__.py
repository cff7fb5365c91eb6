"""Portal pages for mini-programs, versions, scan reports and the finding-code docs."""

from programs.views.docs import finding_codes
from programs.views.programs import (
    program_create,
    program_detail,
    program_edit,
    program_list,
    program_logo,
    program_qualification,
)
from programs.views.versions import version_detail, version_progress, version_upload_page

__all__ = [
    "finding_codes", "program_create", "program_detail", "program_edit", "program_list", "program_logo",
    "program_qualification", "version_detail", "version_progress", "version_upload_page",
]
