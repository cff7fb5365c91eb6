"""Portal pages for mini-programs, versions, scan reports, the lifecycle actions and the trial version."""

from programs.views.code import version_code, version_code_changes, version_code_raw, version_code_search
from programs.views.docs import finding_codes
from programs.views.downloads import package_download, qualification_download
from programs.views.programs import (
    program_create,
    program_detail,
    program_edit,
    program_list,
    program_logo,
    program_privacy,
    program_qualification,
)
from programs.views.releases import (
    version_cancel_release,
    version_raise,
    version_release,
    version_rescan,
    version_rollback,
    version_set_trial,
    version_submit,
    version_withdraw,
)
from programs.views.trial import trial_open, trial_qr, trial_tester_add, trial_tester_remove
from programs.views.versions import version_detail, version_progress, version_upload_page

__all__ = [
    "finding_codes", "package_download", "qualification_download", "program_create", "program_detail",
    "program_edit", "program_list", "program_logo", "program_privacy", "program_qualification", "trial_open",
    "trial_qr", "trial_tester_add", "trial_tester_remove", "version_cancel_release", "version_code",
    "version_code_changes", "version_code_raw", "version_code_search", "version_detail", "version_progress", "version_raise", "version_release",
    "version_rescan", "version_rollback", "version_set_trial", "version_submit", "version_upload_page", "version_withdraw",
]
