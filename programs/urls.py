from django.urls import path

from programs import apis, code_apis, qualification_apis, release_apis, tester_apis, views

api_patterns = [
    path("categories/", apis.CategoryListApi.as_view(), name="api_categories"),
    path("programs/", apis.ProgramListApi.as_view(), name="api_programs"),
    path("programs/<str:appid>/", apis.ProgramDetailApi.as_view(), name="api_program_detail"),
    path("programs/<str:appid>/privacy/", apis.PrivacyDeclarationApi.as_view(), name="api_program_privacy"),
    path("programs/<str:appid>/logo/", apis.ProgramLogoApi.as_view(), name="api_program_logo"),
    path("programs/<str:appid>/qualifications/", qualification_apis.QualificationListApi.as_view(),
         name="api_program_qualifications"),
    path("programs/<str:appid>/qualifications/<int:document_id>/",
         qualification_apis.QualificationDownloadApi.as_view(), name="api_program_qualification"),
    path("programs/<str:appid>/testers/", tester_apis.TesterListApi.as_view(), name="api_program_testers"),
    path("programs/<str:appid>/testers/<int:tester_id>/", tester_apis.TesterDetailApi.as_view(),
         name="api_program_tester"),
    path("programs/<str:appid>/versions/", apis.VersionListApi.as_view(), name="api_versions"),
    path("programs/<str:appid>/versions/<str:version>/", apis.VersionDetailApi.as_view(), name="api_version_detail"),
    path("programs/<str:appid>/versions/<str:version>/files/", code_apis.CodeTreeApi.as_view(), name="api_code_files"),
    path("programs/<str:appid>/versions/<str:version>/files/content/", code_apis.CodeContentApi.as_view(),
         name="api_code_content"),
    path("programs/<str:appid>/versions/<str:version>/package/", apis.PackageDownloadApi.as_view(),
         name="api_package"),
    path("programs/<str:appid>/versions/<str:version>/rescan/", release_apis.RescanApi.as_view(), name="api_rescan"),
    path("programs/<str:appid>/versions/<str:version>/submit/", release_apis.SubmitApi.as_view(), name="api_submit"),
    path("programs/<str:appid>/versions/<str:version>/withdraw/", release_apis.WithdrawApi.as_view(),
         name="api_withdraw"),
    path("programs/<str:appid>/versions/<str:version>/trial/", release_apis.TrialApi.as_view(), name="api_trial"),
    path("programs/<str:appid>/versions/<str:version>/release/", release_apis.ReleaseApi.as_view(),
         name="api_release"),
    path("programs/<str:appid>/versions/<str:version>/cancel-release/", release_apis.CancelReleaseApi.as_view(),
         name="api_cancel_release"),
    path("programs/<str:appid>/versions/<str:version>/rollback/", release_apis.RollbackApi.as_view(),
         name="api_rollback"),
]

# Portal pages inside an organisation: /orgs/<org_slug>/programs/…
org_portal_patterns = [
    path("", views.program_list, name="program_list"),
    path("new/", views.program_create, name="program_create"),
    path("<str:appid>/", views.program_detail, name="program_detail"),
    path("<str:appid>/edit/", views.program_edit, name="program_edit"),
    path("<str:appid>/logo/", views.program_logo, name="program_logo"),
    path("<str:appid>/qualifications/", views.program_qualification, name="program_qualification"),
    path("<str:appid>/qualifications/<int:document_id>/", views.qualification_download,
         name="qualification_download"),
    path("<str:appid>/privacy/", views.program_privacy, name="program_privacy"),
    path("<str:appid>/upload/", views.version_upload_page, name="version_upload_page"),
    path("<str:appid>/versions/<str:version>/", views.version_detail, name="version_detail"),
    path("<str:appid>/versions/<str:version>/progress/", views.version_progress, name="version_progress"),
    # The code viewer (reviewers reach the same pages under /reviews/<id>/code/).
    path("<str:appid>/versions/<str:version>/code/", views.version_code, name="version_code"),
    path("<str:appid>/versions/<str:version>/code/changes/", views.version_code_changes, name="version_code_changes"),
    path("<str:appid>/versions/<str:version>/code/raw/", views.version_code_raw, name="version_code_raw"),
    path("<str:appid>/versions/<str:version>/code/search/", views.version_code_search, name="version_code_search"),
    # Lifecycle actions (POST only; each redirects back to the page it came from).
    path("<str:appid>/versions/<str:version>/rescan/", views.version_rescan, name="version_rescan"),
    path("<str:appid>/versions/<str:version>/submit/", views.version_submit, name="version_submit"),
    path("<str:appid>/versions/<str:version>/withdraw/", views.version_withdraw, name="version_withdraw"),
    path("<str:appid>/versions/<str:version>/trial/", views.version_set_trial, name="version_set_trial"),
    path("<str:appid>/versions/<str:version>/release/", views.version_release, name="version_release"),
    path("<str:appid>/versions/<str:version>/release/raise/", views.version_raise, name="version_raise"),
    path("<str:appid>/versions/<str:version>/release/cancel/", views.version_cancel_release,
         name="version_cancel_release"),
    path("<str:appid>/versions/<str:version>/rollback/", views.version_rollback, name="version_rollback"),
    # The trial version: QR code image and testers.
    path("<str:appid>/trial/qr.png", views.trial_qr, name="trial_qr"),
    path("<str:appid>/trial/testers/", views.trial_tester_add, name="trial_tester_add"),
    path("<str:appid>/trial/testers/<int:tester_id>/remove/", views.trial_tester_remove, name="trial_tester_remove"),
]
# Portal pages outside any organisation.
portal_patterns = [
    path("docs/findings/", views.finding_codes, name="finding_codes"),
    path("trial/<str:appid>/", views.trial_open, name="trial_open"),
    # Packages, for members, reviewers and the trial's testers (programs.selectors.package_version_for_user).
    path("packages/<str:appid>/<str:version>/", views.package_download, name="package_download"),
]
